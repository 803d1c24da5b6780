package io.treecast.gateway.internal;

import io.netty.buffer.ByteBuf;
import io.rsocket.Payload;

/**
 * The payload of one whole REQUEST_FNF frame as {@link FnfReader} hands it to the responder, without a copy: the
 * data is the frame itself (its reader index moved past the header and the metadata) and the metadata is the
 * reader's own read-only copy of the publish route, which the frame carried byte for byte (the reader compared it).
 * Releasing the payload releases the frame, exactly once.
 *
 * <p>One instance is reused for every frame of a connection: {@link #reusable()} says whether the last responder
 * gave it back (released it as often as it was retained). Event-loop confined.
 */
final class FramePayload implements Payload {
    private final ByteBuf metadata;
    private final int metadataBytes;
    private ByteBuf data;
    /** Our own count: once the frame is released its buffer may already serve someone else (pooled slices are recycled). */
    private int refs;

    FramePayload(ByteBuf metadata) {
        this.metadata = metadata;
        this.metadataBytes = metadata.writerIndex();
    }

    /** Takes ownership of {@code frame}, whose readable bytes must be the data. */
    FramePayload wrap(ByteBuf frame) {
        data = frame;
        refs = 1;
        metadata.setIndex(0, metadataBytes); // in case the last responder read it by moving its index
        return this;
    }

    /** Whether the last responder released everything it was given, so this object may carry the next frame. */
    boolean reusable() {
        return refs == 0;
    }

    @Override
    public boolean hasMetadata() {
        return true;
    }

    @Override
    public ByteBuf sliceMetadata() {
        return metadata.slice();
    }

    @Override
    public ByteBuf sliceData() {
        return data.slice();
    }

    @Override
    public ByteBuf data() {
        return data;
    }

    @Override
    public ByteBuf metadata() {
        return metadata;
    }

    @Override
    public int refCnt() {
        return refs;
    }

    @Override
    public Payload retain() {
        return retain(1);
    }

    @Override
    public Payload retain(int increment) {
        data.retain(increment);
        refs += increment;
        return this;
    }

    @Override
    public Payload touch() {
        data.touch();
        return this;
    }

    @Override
    public Payload touch(Object hint) {
        data.touch(hint);
        return this;
    }

    @Override
    public boolean release() {
        return release(1);
    }

    @Override
    public boolean release(int decrement) {
        if (decrement > refs) {
            throw new io.netty.util.IllegalReferenceCountException(refs, -decrement);
        }
        refs -= decrement;
        data.release(decrement);
        return refs == 0;
    }
}
