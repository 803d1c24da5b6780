package io.treecast.durability.it;

import io.treecast.durability.Durability;
import io.treecast.durability.DurabilityConfig;
import io.treecast.fastpath.AckListener;
import io.treecast.fastpath.AckMode;
import io.treecast.fastpath.Batch;
import io.treecast.fastpath.Change;
import io.treecast.fastpath.Engine;
import io.treecast.fastpath.EngineConfig;
import io.treecast.fastpath.ErrorCode;
import io.treecast.fastpath.Leaf;
import io.treecast.fastpath.OfferResult;
import io.treecast.fastpath.PathPattern;
import io.treecast.fastpath.TreePath;
import io.treecast.proto.Value;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** A real engine with a real Kafka journal against a running broker; closes both, engine first. */
final class Stack implements AutoCloseable {
    final Durability durability;
    final Engine engine;

    private Stack(Durability durability, Engine engine) {
        this.durability = durability;
        this.engine = engine;
    }

    static Stack start(String bootstrap, String topic, Consumer<DurabilityConfig.Builder> durabilityTuning,
                       Consumer<EngineConfig.Builder> engineTuning) {
        // the Kafka Streams state costs a second consumer of the topic: only the tests about it turn it on
        // a data dir of its own (it is locked, and holds the journal's backlog file after a stop with Kafka away),
        // never ./data in the source tree; a test that restarts on the same dir sets it
        DurabilityConfig.Builder db = DurabilityConfig.builder().bootstrapServers(bootstrap).topic(topic)
                .partitions(4).treeId("it").journalCapacity(4096).stateStore(false).dataDir(tempDataDir());
        durabilityTuning.accept(db);
        DurabilityConfig dc = db.build();
        Durability d = Durability.start(dc);
        try {
            EngineConfig.Builder eb = EngineConfig.builder().treeId(dc.treeId())
                    .journalCapacity(dc.journalCapacity()).journal(d.journal()).snapshotStore(d.treeState());
            engineTuning.accept(eb);
            return new Stack(d, Engine.start(eb.build()));
        } catch (RuntimeException e) {
            d.close();
            throw e;
        }
    }

    private static java.nio.file.Path tempDataDir() {
        try {
            java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("treecast-stack-");
            dir.toFile().deleteOnExit();
            dir.resolve("treecast.lock").toFile().deleteOnExit();
            return dir;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static Stack start(String bootstrap, String topic) {
        return start(bootstrap, topic, b -> { }, b -> { });
    }

    /** Offers {@code batch}; the future completes with its seq or fails with the engine's code and message. */
    CompletableFuture<Long> apply(Batch batch, AckMode mode) {
        CompletableFuture<Long> f = new CompletableFuture<>();
        OfferResult r = engine.offer(batch, mode, new AckListener() {
            @Override
            public void onAck(long seq) {
                f.complete(seq);
            }

            @Override
            public void onError(ErrorCode code, String message) {
                f.completeExceptionally(new Refused(code, message));
            }
        });
        if (r != OfferResult.ACCEPTED) {
            f.completeExceptionally(new Refused(null, "offer returned " + r));
        }
        return f;
    }

    long set(String path, String value) throws Exception {
        return apply(Batch.of(Change.set(TreePath.parse(path), value(value))), AckMode.APPLIED).get(30, TimeUnit.SECONDS);
    }

    long delete(String path) throws Exception {
        return apply(Batch.of(Change.delete(TreePath.parse(path))), AckMode.APPLIED).get(30, TimeUnit.SECONDS);
    }

    /** The whole tree: path -> "value@seq". */
    Map<String, String> tree() throws Exception {
        Map<String, String> out = new TreeMap<>();
        for (Leaf l : engine.get(PathPattern.parse("**")).get(30, TimeUnit.SECONDS).leaves()) {
            out.put(text(l.path()), Value.parseFrom(l.value()).getStringValue() + "@" + l.seq());
        }
        return out;
    }

    static byte[] value(String s) {
        return Value.newBuilder().setStringValue(s).build().toByteArray();
    }

    static String text(TreePath p) {
        return new String(p.utf8(), StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        try {
            engine.close();
        } finally {
            durability.close();
        }
    }

    /** The engine refused a batch or could not confirm it. */
    static final class Refused extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final ErrorCode code;

        Refused(ErrorCode code, String message) {
            super(code + ": " + message);
            this.code = code;
        }
    }
}
