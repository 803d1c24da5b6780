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

    /**
     * One TCP connection's inbound side, from the bytes of whole frames to the engine, without a socket: a Netty
     * channel with rsocket-java's frame decoder and, when {@code direct}, the {@link FnfReader}; behind them
     * rsocket-java's server (SETUP, guard, multiplexer, responder) on an in-memory transport, the gateway's
     * acceptor and responder chain as {@code TreecastServer} builds them, with the default limits. The SETUP is read
     * on opening.
     */
    public static InboundConnection inbound(io.treecast.fastpath.Engine engine, boolean direct) {
        return new InboundConnection(engine, direct);
    }

    /** See {@link #inbound}. Single-threaded: the caller is the connection's event loop. */
    public static final class InboundConnection implements AutoCloseable {
        private final io.netty.channel.embedded.EmbeddedChannel channel = new io.netty.channel.embedded.EmbeddedChannel();
        private final Gateway gateway;
        private final InMemoryTransport transport = new InMemoryTransport(channel);
        private final reactor.core.Disposable connection;

        private InboundConnection(io.treecast.fastpath.Engine engine, boolean direct) {
            ServerConfig c = ServerConfig.defaults();
            gateway = new Gateway(engine, c.maxValueBytes(), c.maxBatchChanges(), c.maxBatchBytes(), c.maxConnections(),
                    c.maxSubscriptionsPerConnection(), c.authTokens(), java.time.Duration.ofMillis(c.durabilityAckTimeoutMillis()),
                    new io.treecast.gateway.GatewayStats(), c.maxFrameBytes());
            HygieneLimits limits = new HygieneLimits(c.minKeepAliveMillis(), c.maxKeepAliveLifetimeMillis(), c.idleTimeoutMillis(),
                    c.frameReadTimeoutMillis(), c.maxReassemblyBytes(), c.maxConnectionsPerIp(),
                    c.maxUpdatesPerSecondPerConnection(), c.maxBytesPerSecondPerConnection());
            gateway.hygiene(limits);
            ChannelDirectory channels = new ChannelDirectory(false, c.maxSendQueueBytes());
            channel.pipeline().addLast(new io.rsocket.transport.netty.RSocketLengthCodec(), transport.handler());
            channels.onConnection(reactor.netty.Connection.from(channel));
            connection = io.rsocket.core.RSocketServer.create(channels.acceptor(gateway))
                    .interceptors(gateway.interceptors(limits, channels))
                    .payloadDecoder(io.rsocket.frame.decoder.PayloadDecoder.ZERO_COPY)
                    .asConnectionAcceptor().apply(transport).subscribe(null, e -> { });
            if (!direct) {
                channel.pipeline().remove(FnfReader.NAME);
            }
            ByteBuf setup = io.rsocket.frame.SetupFrameCodec.encode(ByteBufAllocator.DEFAULT, false, 20_000, 90_000,
                    io.rsocket.metadata.WellKnownMimeType.MESSAGE_RSOCKET_COMPOSITE_METADATA.getString(), Gateway.DATA_MIME,
                    io.rsocket.util.EmptyPayload.INSTANCE);
            read(io.rsocket.frame.FrameLengthCodec.encode(ByteBufAllocator.DEFAULT, setup.readableBytes(), setup));
        }

        /** Reads one whole frame with its 3-byte length prefix, as the socket would hand it over (ownership passes). */
        public void read(ByteBuf frame) {
            channel.pipeline().fireChannelRead(frame);
        }

        /** Publishes the reader took (the others went through rsocket-java). */
        public long directPublishes() {
            return gateway.stats.directPublishes();
        }

        /** Publishes refused so far. */
        public long rejected() {
            return gateway.rejectedWithoutAnswer();
        }

        @Override
        public void close() {
            connection.dispose();
            transport.dispose();
            channel.finishAndReleaseAll();
        }
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
