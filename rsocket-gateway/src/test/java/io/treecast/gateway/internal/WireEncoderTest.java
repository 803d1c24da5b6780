package io.treecast.gateway.internal;

import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.treecast.fastpath.Batch;
import io.treecast.fastpath.Change;
import io.treecast.fastpath.Engine;
import io.treecast.fastpath.EngineConfig;
import io.treecast.fastpath.ErrorCode;
import io.treecast.fastpath.EventHandler;
import io.treecast.fastpath.EventKind;
import io.treecast.fastpath.EventView;
import io.treecast.fastpath.PathPattern;
import io.treecast.fastpath.SubscribeOptions;
import io.treecast.fastpath.TreePath;
import io.treecast.fastpath.TreeSnapshot;
import io.treecast.gateway.NoLeaks;
import io.treecast.proto.Ack;
import io.treecast.proto.Delete;
import io.treecast.proto.Event;
import io.treecast.proto.Snapshot;
import io.treecast.proto.Value;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The hand-written encoder writes exactly the bytes the generated protobuf classes write, for real engine events. */
@ExtendWith(NoLeaks.class)
class WireEncoderTest {

    private static byte[] value(Value v) {
        return v.toByteArray();
    }

    /** What protoc's generated code writes for the same event. */
    private static byte[] generated(EventView e) {
        boolean perChangeSeq = e.kind() != EventKind.UPDATE || e.conflated();
        Event.Builder b = Event.newBuilder().setKindValue(e.kind().ordinal()).setSeq(e.seq()).setConflated(e.conflated());
        for (int i = 0; i < e.size(); i++) {
            io.treecast.proto.Change.Builder c = io.treecast.proto.Change.newBuilder()
                    .setPath(new String(e.path(i).utf8(), java.nio.charset.StandardCharsets.UTF_8));
            if (e.isDelete(i)) {
                c.setDelete(Delete.getDefaultInstance());
            } else {
                try {
                    c.setSet(Value.parseFrom(e.value(i)));
                } catch (InvalidProtocolBufferException ex) {
                    throw new AssertionError(ex);
                }
            }
            if (perChangeSeq) {
                c.setSeq(e.changeSeq(i));
            }
            b.addChanges(c);
        }
        return b.build().toByteArray();
    }

    @Test
    void eventsAreByteIdenticalToTheGeneratedEncoding() {
        List<String> mismatches = new CopyOnWriteArrayList<>();
        List<EventKind> seen = new CopyOnWriteArrayList<>();
        try (Engine engine = Engine.start(EngineConfig.builder().build())) {
            engine.offer(Batch.of(Change.set(TreePath.parse("fx/EURUSD/bid"), value(Value.newBuilder().setDoubleValue(1.0842).build())),
                    Change.set(TreePath.parse("fx/EURUSD/name"), value(Value.newBuilder().setStringValue("Euro \u20ac").build()))));
            await().atMost(10, TimeUnit.SECONDS).untilAsserted(() -> assertThat(engine.currentSeq()).isGreaterThan(0)); // so the first batch is in the snapshot
            var sub = engine.subscribe(SubscribeOptions.of(PathPattern.parse("fx/**")).withSnapshot(true), new EventHandler() {
                @Override
                public void onEvent(EventView e) {
                    ByteBuf buf = WireEncoder.event(ByteBufAllocator.DEFAULT, e);
                    try {
                        byte[] expected = generated(e);
                        byte[] actual = ByteBufUtil.getBytes(buf);
                        if (!java.util.Arrays.equals(expected, actual)) {
                            mismatches.add(e.kind() + " seq " + e.seq() + ": expected " + ByteBufUtil.hexDump(expected)
                                    + " was " + ByteBufUtil.hexDump(actual));
                        }
                        seen.add(e.kind());
                    } finally {
                        buf.release();
                    }
                }

                @Override
                public void onEnd(ErrorCode code, String message, long lastSeq) {
                }
            });
            sub.request(Long.MAX_VALUE);
            // subscribe() registers at the writer's next cycle: batches offered before that would land in the
            // snapshot instead of arriving as UPDATE events, so wait for the snapshot to end first
            await().atMost(10, TimeUnit.SECONDS).untilAsserted(() -> assertThat(seen).contains(EventKind.SNAPSHOT_END));
            engine.offer(Batch.of(Change.set(TreePath.parse("fx/EURUSD/bid"), value(Value.newBuilder().setIntValue(-5).build())),
                    Change.set(TreePath.parse("fx/GBPUSD/raw"), value(Value.newBuilder().setBytesValue(com.google.protobuf.ByteString.copyFrom(new byte[300])).build())),
                    Change.set(TreePath.parse("fx/flag"), value(Value.newBuilder().setBoolValue(false).build()))));
            engine.offer(Batch.of(Change.delete(TreePath.parse("fx/EURUSD"))));
            await().atMost(10, TimeUnit.SECONDS).untilAsserted(() -> assertThat(seen.stream().filter(k -> k == EventKind.UPDATE).count()).isGreaterThanOrEqualTo(2));
            sub.cancel();
        }
        assertThat(seen).contains(EventKind.SNAPSHOT, EventKind.SNAPSHOT_END, EventKind.UPDATE);
        assertThat(mismatches).isEmpty();
    }

    @Test
    void snapshotsAndAcksAreByteIdenticalToTheGeneratedEncoding() throws Exception {
        try (Engine engine = Engine.start(EngineConfig.builder().build())) {
            engine.offer(Batch.of(Change.set(TreePath.parse("a/b"), value(Value.newBuilder().setStringValue("x").build())),
                    Change.set(TreePath.parse("a/c"), value(Value.newBuilder().setIntValue(300).build()))));
            TreeSnapshot s = await().atMost(10, TimeUnit.SECONDS).until(() -> engine.get(PathPattern.parse("a/*")).get(),
                    snap -> snap.leaves().size() == 2);
            Snapshot.Builder expected = Snapshot.newBuilder().setSeq(s.seq());
            for (var leaf : s.leaves()) {
                expected.addLeaves(io.treecast.proto.Change.newBuilder().setPath(new String(leaf.path().utf8(), java.nio.charset.StandardCharsets.UTF_8))
                        .setSet(Value.parseFrom(leaf.value())).setSeq(leaf.seq()));
            }
            ByteBuf buf = WireEncoder.snapshot(ByteBufAllocator.DEFAULT, s);
            try {
                assertThat(ByteBufUtil.getBytes(buf)).isEqualTo(expected.build().toByteArray());
            } finally {
                buf.release();
            }
        }
        for (long seq : new long[] {0, 1, 127, 128, 1L << 40, Long.MAX_VALUE}) {
            ByteBuf ack = WireEncoder.ack(ByteBufAllocator.DEFAULT, seq);
            try {
                assertThat(ByteBufUtil.getBytes(ack)).isEqualTo(Ack.newBuilder().setSeq(seq).build().toByteArray());
            } finally {
                ack.release();
            }
        }
    }
}
