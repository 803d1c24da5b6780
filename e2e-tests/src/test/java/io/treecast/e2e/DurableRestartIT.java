package io.treecast.e2e;

import io.treecast.client.AckMode;
import io.treecast.client.Snapshot;
import io.treecast.client.TreecastClient;
import io.treecast.client.TreeValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Guarantees 5 and 6 from the outside: the packaged server with its embedded Kafka broker is killed with SIGKILL in
 * the middle of a stream of DURABLE updates (while another client loads it with APPLIED ones) and started again on
 * the same data directory.
 */
@ExtendWith(ServerLogOnFailure.class)
class DurableRestartIT {

    @TempDir
    Path dataDir;

    @Test
    void killNineLosesNoDurablyAckedUpdateAndSeqContinuesAboveTheLastIssued() throws Exception {
        try (ServerProcess server = ServerProcess.start("durable-restart",
                "--set", "durability.mode=embedded", "--set", "durability.data-dir=" + dataDir)) {
            Map<String, Long> acked = new ConcurrentHashMap<>();
            AtomicLong maxAckedSeq = new AtomicLong();
            AtomicBoolean stop = new AtomicBoolean();
            Thread writer = new Thread(() -> {
                try (TreecastClient client = TreecastClient.connect(server.tcpUrl())) {
                    for (long i = 0; !stop.get(); i++) {
                        String path = "k9/n" + (i % 500) + "/v";
                        long value = i;
                        long seq = client.update(b -> b.set(path, value), AckMode.DURABLE);
                        acked.put(path, value);
                        maxAckedSeq.accumulateAndGet(seq, Math::max);
                    }
                } catch (RuntimeException expected) {
                    // the server was killed under us: what was acked before is what must survive
                }
            }, "durable-writer");
            // a second client loads the server with APPLIED writes (not waited for by Kafka) at the same time
            AtomicLong maxAppliedSeq = new AtomicLong();
            Thread loader = new Thread(() -> {
                try (TreecastClient client = TreecastClient.connect(server.tcpUrl())) {
                    for (long i = 0; !stop.get(); i++) {
                        long n = i;
                        maxAppliedSeq.accumulateAndGet(client.update(b -> b.set("k9load/n" + (n % 100), n)), Math::max);
                    }
                } catch (RuntimeException expected) {
                    // killed under us
                }
            }, "applied-loader");
            // a user's `treecast sub --reconnect` across the kill and the restart (proto/README.md, "Seq across restarts")
            try (CliProcess sub = CliProcess.start("sub", "k9/n1/*", "--reconnect", "--json", "--url", server.tcpUrl())) {
                writer.start();
                loader.start();
                await().atMost(Duration.ofSeconds(120)).untilAsserted(() -> assertThat(acked.size()).isGreaterThanOrEqualTo(200));
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(sub.out()).anyMatch(l -> l.contains("\"path\":\"k9/n1/v\"")));

                server.kill9();
                stop.set(true);
                writer.join(30_000);
                loader.join(30_000);
                Map<String, Long> survivors = Map.copyOf(acked);
                long lastAcked = maxAckedSeq.get();

                server.restart();
                try (TreecastClient client = TreecastClient.connect(server.tcpUrl())) {
                    Snapshot state = client.get("k9/**");
                    Map<String, TreeValue> recovered = state.toMap();
                    // each path is written with ever-growing values: after restart it holds the acked one or a newer one
                    survivors.forEach((path, value) -> assertThat(recovered.get(path))
                            .as("value of %s after restart", path)
                            .isNotNull()
                            .satisfies(v -> assertThat(v.asLong()).isGreaterThanOrEqualTo(value)));
                    long next = client.set("k9/after-restart", 1L);
                    assertThat(next).isGreaterThan(lastAcked);
                    assertThat(next).as("above every seq ever issued, also those Kafka never confirmed").isGreaterThan(maxAppliedSeq.get());
                    assertThat(state.seq()).isGreaterThanOrEqualTo(lastAcked);
                    // the documented gap: the recovered maximum (at least every DURABLY acked seq) plus engine.journal-capacity
                    assertThat(next).as("seq jumps by engine.journal-capacity").isGreaterThanOrEqualTo(lastAcked + 1_048_576);

                    // the CLI subscriber resumed after its last seq: the restarted server cannot replay it, so RESET and
                    // a snapshot, then live changes; notes on stderr, no stack trace, still running
                    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(afterLastReset(sub.out()))
                            .anyMatch(l -> l.startsWith("{\"kind\":\"SNAPSHOT_END\",\"seq\":")));
                    long live = client.set("k9/n1/v", -1L);
                    await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(sub.out()).anyMatch(l -> l.contains("\"value\":-1")));
                    assertThat(afterLastReset(sub.out())).as(sub.toString()).last().asString()
                            .isEqualTo("{\"kind\":\"UPDATE\",\"path\":\"k9/n1/v\",\"value\":-1,\"type\":\"int\",\"seq\":" + live + "}");
                    assertThat(sub.err()).as(sub.toString()).isNotEmpty()
                            .allSatisfy(l -> assertThat(l).startsWith("note: subscription ended ("));
                    assertThat(sub.isAlive()).isTrue();
                }
            }
        }
    }

    /** The lines from the last RESET on (empty when there is none). */
    private static List<String> afterLastReset(List<String> lines) {
        for (int i = lines.size() - 1; i >= 0; i--) {
            if (lines.get(i).startsWith("{\"kind\":\"RESET\"")) {
                return lines.subList(i, lines.size());
            }
        }
        return List.of();
    }
}
