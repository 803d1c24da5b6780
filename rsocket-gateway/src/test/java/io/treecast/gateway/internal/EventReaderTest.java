package io.treecast.gateway.internal;

import io.netty.buffer.Unpooled;
import io.treecast.proto.Change;
import io.treecast.proto.Delete;
import io.treecast.proto.Event;
import io.treecast.proto.Value;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** An edge reads its core's Events in place with {@link BatchReader#ofEvent}: kind, seq, and each change as a Batch's. */
class EventReaderTest {

    @Test
    void anUpdateEventGivesItsKindSeqAndChangesInOrderWhateverTheFieldOrder() throws Exception {
        Value v = Value.newBuilder().setIntValue(7).build();
        byte[] changes = Event.newBuilder()
                .addChanges(Change.newBuilder().setPath("a/x").setSet(v))
                .addChanges(Change.newBuilder().setPath("a/y").setDelete(Delete.getDefaultInstance()))
                .build().toByteArray();
        byte[] header = Event.newBuilder().setKind(Event.Kind.UPDATE).setSeq(42).build().toByteArray();
        // the changes first, kind and seq after: protobuf allows any order
        byte[] bytes = new byte[changes.length + header.length];
        System.arraycopy(changes, 0, bytes, 0, changes.length);
        System.arraycopy(header, 0, bytes, changes.length, header.length);

        BatchReader r = BatchReader.ofEvent(Unpooled.wrappedBuffer(bytes));
        assertThat(r.eventKind()).isZero();
        assertThat(r.eventSeq()).isEqualTo(42);
        assertThat(r.changeCount()).isEqualTo(2);
        List<String> seen = new ArrayList<>();
        while (r.nextChange()) {
            seen.add(r.path() + (r.isDelete() ? " deleted" : " = " + Value.parseFrom(r.valueBytes()).getIntValue()));
        }
        assertThat(seen).containsExactly("a/x = 7", "a/y deleted");
    }

    @Test
    void aSnapshotEventKeepsEachLeafsValueAndSkipsItsSeq() throws Exception {
        byte[] bytes = Event.newBuilder().setKind(Event.Kind.SNAPSHOT).setSeq(9)
                .addChanges(Change.newBuilder().setPath("b/1").setSet(Value.newBuilder().setStringValue("s")).setSeq(3))
                .build().toByteArray();
        BatchReader r = BatchReader.ofEvent(Unpooled.wrappedBuffer(bytes));
        assertThat(r.eventKind()).isEqualTo(Event.Kind.SNAPSHOT_VALUE);
        assertThat(r.eventSeq()).isEqualTo(9);
        assertThat(r.nextChange()).isTrue();
        assertThat(r.path().toString()).isEqualTo("b/1");
        assertThat(Value.parseFrom(r.valueBytes()).getStringValue()).isEqualTo("s");
        assertThat(r.nextChange()).isFalse();

        BatchReader end = BatchReader.ofEvent(Unpooled.wrappedBuffer(Event.newBuilder().setKind(Event.Kind.SNAPSHOT_END)
                .setSeq(9).build().toByteArray()));
        assertThat(end.eventKind()).isEqualTo(Event.Kind.SNAPSHOT_END_VALUE);
        assertThat(end.changeCount()).isZero();
    }
}
