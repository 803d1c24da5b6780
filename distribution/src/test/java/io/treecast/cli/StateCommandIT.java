package io.treecast.cli;

import io.treecast.durability.Durability;
import io.treecast.durability.DurabilityConfig;
import io.treecast.durability.internal.EmbeddedKafka;
import io.treecast.fastpath.AckMode;
import io.treecast.fastpath.AckListener;
import io.treecast.fastpath.Batch;
import io.treecast.fastpath.Change;
import io.treecast.fastpath.Engine;
import io.treecast.fastpath.EngineConfig;
import io.treecast.fastpath.ErrorCode;
import io.treecast.fastpath.TreePath;
import io.treecast.proto.Value;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code treecast state} runs the tree's Kafka Streams store as its own instance against a real broker. */
class StateCommandIT {

    @Test
    void stateInstanceMaterializesTheTopicAndScansASubtree(@TempDir Path dir) throws Exception {
        try (EmbeddedKafka kafka = new EmbeddedKafka(dir.resolve("broker"), "512m", Duration.ofSeconds(90), Duration.ofSeconds(20))) {
            kafka.start();
            DurabilityConfig dc = DurabilityConfig.builder().bootstrapServers(kafka.bootstrapServers()).topic("cli.state")
                    .partitions(3).treeId("cli").journalCapacity(1024).stateStore(false)
                    .dataDir(dir.resolve("data")).build(); // locked, and where a backlog file would go: not ./data
            try (Durability d = Durability.start(dc);
                 Engine engine = Engine.start(EngineConfig.builder().treeId("cli").journalCapacity(1024)
                         .journal(d.journal()).build())) {
                set(engine, "a/x/1", "one");
                set(engine, "a/x/2", "two");
                set(engine, "b/1", "elsewhere");
                set(engine, "a/x/1", "one again");

                ByteArrayOutputStream out = new ByteArrayOutputStream();
                ByteArrayOutputStream err = new ByteArrayOutputStream();
                int code = TreecastCli.run(new String[] {"state", "--bootstrap-servers", kafka.bootstrapServers(),
                        "--topic", "cli.state", "--tree", "cli", "--state-dir", dir.resolve("state").toString(),
                        "--scan", "a/", "--timeout-seconds", "90"},
                        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));

                String text = out.toString(StandardCharsets.UTF_8);
                assertThat(code).as("stdout:%n%s%nstderr:%n%s", text, err.toString(StandardCharsets.UTF_8)).isZero();
                assertThat(text).contains("application treecast-state-cli", "a/x/1 = one again @4", "a/x/2 = two @2",
                        "# 2 leaves from partitions [0, 1, 2]").doesNotContain("b/1");

                // the same scan from a memory store, which is rebuilt from the topic since nothing of it is on disk
                out.reset();
                err.reset();
                code = TreecastCli.run(new String[] {"state", "--bootstrap-servers", kafka.bootstrapServers(),
                        "--topic", "cli.state", "--tree", "cli", "--state-dir", dir.resolve("state-memory").toString(),
                        "--store", "memory", "--scan", "a/", "--timeout-seconds", "90"},
                        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
                text = out.toString(StandardCharsets.UTF_8);
                assertThat(code).as("stdout:%n%s%nstderr:%n%s", text, err.toString(StandardCharsets.UTF_8)).isZero();
                assertThat(text).contains("a/x/1 = one again @4", "a/x/2 = two @2", "# 2 leaves from partitions [0, 1, 2]")
                        .doesNotContain("b/1");
            }
        }
    }

    private static void set(Engine engine, String path, String value) throws Exception {
        CompletableFuture<Long> f = new CompletableFuture<>();
        engine.offer(Batch.of(Change.set(TreePath.parse(path), Value.newBuilder().setStringValue(value).build().toByteArray())),
                AckMode.DURABLE, new AckListener() {
                    public void onAck(long seq) { f.complete(seq); }
                    public void onError(ErrorCode code, String message) { f.completeExceptionally(new IllegalStateException(code + message)); }
                });
        f.get(60, TimeUnit.SECONDS);
    }
}
