package io.treecast.client.internal;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.treecast.client.LeafChange;
import io.treecast.client.TreeEvent;
import io.treecast.client.TreeValue;
import io.treecast.proto.Change;
import io.treecast.proto.Delete;
import io.treecast.proto.Event;
import io.treecast.proto.Snapshot;
import io.treecast.proto.Value;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WireDecoderTest {

    @Test
    void decodesRandomEventsExactlyAsTheGeneratedClassesDo() {
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < 2_000; i++) {
            Event e = randomEvent(random);
            TreeEvent decoded = WireDecoder.event(Unpooled.wrappedBuffer(e.toByteArray()));
            assertThat(decoded).isEqualTo(expected(e));
        }
    }

    @Test
    void decodesAFrameOfLengthDelimitedEventsInOrder() throws IOException {
        ByteArrayOutputStream frame = new ByteArrayOutputStream();
        SplittableRandom random = new SplittableRandom(3);
        List<TreeEvent> want = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Event e = randomEvent(random);
            e.writeDelimitedTo(frame);
            want.add(expected(e));
        }
        assertThat(WireDecoder.delimitedEvents(Unpooled.wrappedBuffer(frame.toByteArray()))).containsExactlyElementsOf(want);
        assertThatThrownBy(() -> WireDecoder.delimitedEvents(Unpooled.EMPTY_BUFFER)).hasMessageContaining("empty frame");
        byte[] cut = java.util.Arrays.copyOf(frame.toByteArray(), frame.size() - 1);
        assertThatThrownBy(() -> WireDecoder.delimitedEvents(Unpooled.wrappedBuffer(cut))).isInstanceOf(WireDecoder.MalformedException.class);
    }

    @Test
    void decodesSnapshotsWithEachLeafsOwnSeq() {
        Snapshot s = Snapshot.newBuilder().setSeq(90)
                .addLeaves(Change.newBuilder().setPath("a/b").setSet(Value.newBuilder().setIntValue(-3)).setSeq(12))
                .addLeaves(Change.newBuilder().setPath("a/c").setSet(Value.newBuilder().setStringValue("x")).setSeq(80))
                .build();
        io.treecast.client.Snapshot decoded = WireDecoder.snapshot(Unpooled.wrappedBuffer(s.toByteArray()));
        assertThat(decoded.seq()).isEqualTo(90);
        assertThat(decoded.leaves()).containsExactly(
                new LeafChange("a/b", TreeValue.of(-3), 12), new LeafChange("a/c", TreeValue.of("x"), 80));
    }

    @Test
    void readsFieldsInAnyOrderAndSkipsUnknownOnes() throws IOException {
        // seq after the changes, unknown fields of every wire type in the event and in the change
        ByteArrayOutputStream change = new ByteArrayOutputStream();
        CodedOutputStream c = CodedOutputStream.newInstance(change);
        c.writeInt64(99, 7);
        c.writeString(1, "x/y");
        c.writeFixed32(98, 1);
        c.writeMessage(2, Value.newBuilder().setDoubleValue(2.5).build());
        c.flush();
        ByteArrayOutputStream event = new ByteArrayOutputStream();
        CodedOutputStream o = CodedOutputStream.newInstance(event);
        o.writeFixed64(50, 123);
        o.writeBytes(3, ByteString.copyFrom(change.toByteArray()));
        o.writeString(51, "future field");
        o.writeInt64(2, 77);
        o.flush();
        TreeEvent decoded = WireDecoder.event(Unpooled.wrappedBuffer(event.toByteArray()));
        assertThat(decoded).isEqualTo(new TreeEvent(TreeEvent.Kind.UPDATE, 77,
                List.of(new LeafChange("x/y", TreeValue.of(2.5), 77)), false));
    }

    @Test
    void refusesTruncatedMessagesAsTheGeneratedParserDoes() {
        byte[] whole = Event.newBuilder().setSeq(5)
                .addChanges(Change.newBuilder().setPath("a").setSet(Value.newBuilder().setStringValue("v"))).build().toByteArray();
        int refused = 0;
        for (int cut = 1; cut < whole.length; cut++) {
            ByteBuf prefix = Unpooled.wrappedBuffer(whole, 0, cut);
            Event generated;
            try {
                generated = Event.parseFrom(prefix.nioBuffer());
            } catch (InvalidProtocolBufferException e) {
                // a prefix that ends inside a field
                assertThatThrownBy(() -> WireDecoder.event(prefix)).isInstanceOf(WireDecoder.MalformedException.class);
                refused++;
                continue;
            }
            // a prefix that ends between fields is a valid, shorter message
            assertThat(WireDecoder.event(prefix)).isEqualTo(expected(generated));
        }
        assertThat(refused).isGreaterThan(whole.length / 2);
    }

    @Test
    void refusesAValueWithoutAKind() {
        byte[] noKind = Event.newBuilder().setSeq(5)
                .addChanges(Change.newBuilder().setPath("a").setSet(Value.getDefaultInstance())).build().toByteArray();
        assertThatThrownBy(() -> WireDecoder.event(Unpooled.wrappedBuffer(noKind)))
                .isInstanceOf(WireDecoder.MalformedException.class).hasMessageContaining("no kind");
    }

    private static Event randomEvent(SplittableRandom r) {
        Event.Builder b = Event.newBuilder().setKindValue(r.nextInt(4)).setSeq(r.nextBoolean() ? r.nextLong(1, Long.MAX_VALUE) : r.nextInt(300))
                .setConflated(r.nextInt(4) == 0);
        int n = r.nextInt(4);
        for (int i = 0; i < n; i++) {
            Change.Builder c = Change.newBuilder().setPath("p" + r.nextInt(1000) + "/é" + i);
            if (r.nextInt(5) == 0) {
                c.setDelete(Delete.getDefaultInstance());
            } else {
                c.setSet(randomValue(r));
            }
            if (r.nextBoolean()) {
                c.setSeq(r.nextLong(1, Long.MAX_VALUE));
            }
            b.addChanges(c);
        }
        return b.build();
    }

    private static Value randomValue(SplittableRandom r) {
        switch (r.nextInt(5)) {
            case 0: return Value.newBuilder().setStringValue("s" + r.nextInt()).build();
            case 1: return Value.newBuilder().setIntValue(r.nextLong()).build();
            case 2: return Value.newBuilder().setDoubleValue(r.nextDouble() * 1e6 - 5e5).build();
            case 3: return Value.newBuilder().setBoolValue(r.nextBoolean()).build();
            default: {
                byte[] bytes = new byte[r.nextInt(20)];
                r.nextBytes(bytes);
                return Value.newBuilder().setBytesValue(ByteString.copyFrom(bytes)).build();
            }
        }
    }

    /** What the client produced before, with the generated classes. */
    private static TreeEvent expected(Event e) {
        TreeEvent.Kind kind = TreeEvent.Kind.valueOf(e.getKind().name()); // both enums list the same kinds
        List<LeafChange> changes = new ArrayList<>();
        for (Change c : e.getChangesList()) {
            changes.add(new LeafChange(c.getPath(), c.hasSet() ? TreeValue.fromProto(c.getSet()) : null,
                    c.getSeq() != 0 ? c.getSeq() : e.getSeq()));
        }
        return new TreeEvent(kind, e.getSeq(), List.copyOf(changes), e.getConflated());
    }
}
