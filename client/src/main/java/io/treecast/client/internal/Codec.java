package io.treecast.client.internal;

import com.google.protobuf.InvalidProtocolBufferException;
import io.netty.buffer.ByteBuf;
import io.rsocket.Payload;
import io.treecast.client.Children;
import io.treecast.client.IngestAck;
import io.treecast.client.Snapshot;
import io.treecast.client.TreeEvent;
import io.treecast.client.TreecastClientException;
import io.treecast.proto.Ack;

import java.util.List;
import java.util.function.Function;

/** Decodes the server's protobuf answers into the client's types, releasing each payload. */
public final class Codec {
    private Codec() {
    }

    public static TreeEvent event(Payload p) {
        return decode(p, "Event", WireDecoder::event);
    }

    /** The events of one frame of a subscription that takes several events per frame. */
    public static List<TreeEvent> events(Payload p) {
        return decode(p, "Event", WireDecoder::delimitedEvents);
    }

    public static Snapshot snapshot(Payload p) {
        return decode(p, "Snapshot", WireDecoder::snapshot);
    }

    /** A {@code treecast.v1.Children} answer. */
    public static Children children(Payload p) {
        io.treecast.proto.Children c;
        try {
            c = io.treecast.proto.Children.parseFrom(p.data().nioBuffer());
        } catch (InvalidProtocolBufferException ex) {
            throw malformed("Children", ex);
        } finally {
            p.release();
        }
        List<Children.Child> children = new java.util.ArrayList<>(c.getChildrenCount());
        for (io.treecast.proto.Child child : c.getChildrenList()) {
            children.add(new Children.Child(child.getName(), child.getLeaf()));
        }
        return new Children(c.getSeq(), children, c.getMore());
    }

    /** Decodes the payload's data with {@code decoder}, releasing the payload; bad bytes are MALFORMED. */
    private static <T> T decode(Payload p, String what, Function<ByteBuf, T> decoder) {
        try {
            return decoder.apply(p.data());
        } catch (WireDecoder.MalformedException | IndexOutOfBoundsException ex) {
            throw malformed(what, ex);
        } finally {
            p.release();
        }
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

    private static TreecastClientException malformed(String what, Exception e) {
        return new TreecastClientException(TreecastClientException.Code.MALFORMED, "the server sent an invalid " + what + ": " + e.getMessage(), e);
    }
}
