package io.treecast.gateway.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.treecast.fastpath.Batch;
import io.treecast.fastpath.EventView;
import io.treecast.gateway.ServerConfig;

/**
 * The gateway's per-update work without a connection, for {@code bench/}'s JMH benchmarks: decoding a publish
 * frame into the engine's batch, encoding an event into a subscriber's frame. The one type of this package another
 * module may use, and only {@code bench/} (the distribution's ModuleBoundariesTest holds that).
 *
 * <pre>{@code
 * GatewayBench g = new GatewayBench();
 * Batch b = g.decodePublish(metadata, data);            // what the event loop hands to engine.offer
 * ByteBuf frame = g.encodeEventFrame(event); frame.release();
 * }</pre>
 */
public final class GatewayBench {
    /** What DirectStream reserves before the Event on TCP: the 3-byte frame length and the 6-byte PAYLOAD header. */
    private static final int TCP_HEADER_BYTES = 9;

    private final RequestDecoder decoder;

    /** With the default limits ({@link ServerConfig#defaults()}). */
    public GatewayBench() {
        ServerConfig c = ServerConfig.defaults();
        decoder = new RequestDecoder(c.maxValueBytes(), c.maxBatchChanges(), c.maxBatchBytes());
    }

    /**
     * The event loop's work on a {@code tree.publish} fire-and-forget before {@code engine.offer}: the route, then
     * the decoded and validated batch.
     */
    public Batch decodePublish(ByteBuf metadata, ByteBuf data) {
        String route = Routing.route(metadata);
        if (!Routing.PUBLISH.equals(route)) {
            throw new IllegalArgumentException("not a publish: " + route);
        }
        return decoder.publish(data);
    }

    /** One event encoded as DirectStream does for a subscription with one Event per frame (caller releases it). */
    public ByteBuf encodeEventFrame(EventView event) {
        int size = WireEncoder.eventSize(event);
        ByteBuf frame = ByteBufAllocator.DEFAULT.buffer(TCP_HEADER_BYTES + size);
        frame.writerIndex(TCP_HEADER_BYTES);
        WireEncoder.writeEvent(frame, event);
        return frame;
    }
}
