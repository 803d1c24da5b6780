package io.treecast.client.internal;

import com.google.protobuf.InvalidProtocolBufferException;
import io.rsocket.Payload;
import io.treecast.client.IngestAck;
import io.treecast.client.LeafChange;
import io.treecast.client.Snapshot;
import io.treecast.client.TreeEvent;
import io.treecast.client.TreeValue;
import io.treecast.client.TreecastClientException;
import io.treecast.proto.Ack;
import io.treecast.proto.Change;
import io.treecast.proto.Event;

import java.util.ArrayList;
import java.util.List;

/** Decodes the server's protobuf answers into the client's types, releasing each payload. */
public final class Codec {
    private Codec() {
    }

    public static TreeEvent event(Payload p) {
        Event e;
        try {
            e = Event.parseFrom(p.data().nioBuffer());
        } catch (InvalidProtocolBufferException ex) {
            throw malformed("Event", ex);
        } finally {
            p.release();
        }
        TreeEvent.Kind kind;
        switch (e.getKind()) {
            case SNAPSHOT: kind = TreeEvent.Kind.SNAPSHOT; break;
            case SNAPSHOT_END: kind = TreeEvent.Kind.SNAPSHOT_END; break;
            case RESET: kind = TreeEvent.Kind.RESET; break;
            default: kind = TreeEvent.Kind.UPDATE;
        }
        return new TreeEvent(kind, e.getSeq(), changes(e.getChangesList(), e.getSeq()), e.getConflated());
    }

    public static Snapshot snapshot(Payload p) {
        io.treecast.proto.Snapshot s;
        try {
            s = io.treecast.proto.Snapshot.parseFrom(p.data().nioBuffer());
        } catch (InvalidProtocolBufferException ex) {
            throw malformed("Snapshot", ex);
        } finally {
            p.release();
        }
        return new Snapshot(s.getSeq(), changes(s.getLeavesList(), s.getSeq()));
    }

    public static long ackSeq(Payload p) {
        return ingestAck(p).seq();
    }

    public static IngestAck ingestAck(Payload p) {
        Ack a;
        try {
            a = Ack.parseFrom(p.data().nioBuffer());
        } catch (InvalidProtocolBufferException ex) {
            throw malformed("Ack", ex);
        } finally {
            p.release();
        }
        if (!a.hasError()) {
            return new IngestAck(a.getSeq(), null, null);
        }
        TreecastClientException.Code code;
        try {
            code = TreecastClientException.Code.valueOf(a.getError().getCode());
        } catch (IllegalArgumentException e) {
            code = TreecastClientException.Code.UNKNOWN;
        }
        return new IngestAck(0, code, a.getError().getMessage());
    }

    private static List<LeafChange> changes(List<Change> in, long eventSeq) {
        List<LeafChange> out = new ArrayList<>(in.size());
        for (Change c : in) {
            long seq = c.getSeq() != 0 ? c.getSeq() : eventSeq;
            out.add(new LeafChange(c.getPath(), c.hasSet() ? TreeValue.fromProto(c.getSet()) : null, seq));
        }
        return List.copyOf(out);
    }

    private static TreecastClientException malformed(String what, InvalidProtocolBufferException e) {
        return new TreecastClientException(TreecastClientException.Code.MALFORMED, "the server sent an invalid " + what + ": " + e.getMessage(), e);
    }
}
