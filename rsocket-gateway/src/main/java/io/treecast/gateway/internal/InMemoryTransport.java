package io.treecast.gateway.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.rsocket.DuplexConnection;
import io.rsocket.RSocketErrorException;
import io.rsocket.frame.FrameLengthCodec;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

import java.net.SocketAddress;
import java.util.ArrayDeque;

/**
 * rsocket-java's transport for {@link GatewayBench}'s connection without a socket: the frames that reach the end of
 * a Netty channel's pipeline go to rsocket-java as reactor-netty hands them over (the length prefix cut off by a
 * slice, the frame released once rsocket-java's {@code onNext} returned, queued while it asked for none); what
 * rsocket-java sends is dropped. Single-threaded.
 */
final class InMemoryTransport extends Flux<ByteBuf> implements DuplexConnection, Subscription {
    private final Channel channel;
    private final Sinks.Empty<Void> closed = Sinks.empty();
    private final ArrayDeque<ByteBuf> queued = new ArrayDeque<>();
    private CoreSubscriber<? super ByteBuf> receiver;
    private long demand;

    InMemoryTransport(Channel channel) {
        this.channel = channel;
    }

    /** The pipeline's last handler: hands each frame to rsocket-java. */
    ChannelHandler handler() {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                queued.add((ByteBuf) msg);
                drain();
            }
        };
    }

    private void drain() {
        ByteBuf frame;
        while (receiver != null && demand > 0 && (frame = queued.poll()) != null) {
            if (demand != Long.MAX_VALUE) {
                demand--;
            }
            try {
                receiver.onNext(FrameLengthCodec.frame(frame));
            } finally {
                frame.release();
            }
        }
    }

    @Override
    public void subscribe(CoreSubscriber<? super ByteBuf> actual) {
        receiver = actual;
        actual.onSubscribe(this);
    }

    @Override
    public void request(long n) {
        demand = demand + n < 0 ? Long.MAX_VALUE : demand + n;
        drain();
    }

    @Override
    public void cancel() {
        receiver = null;
    }

    @Override
    public Flux<ByteBuf> receive() {
        return this;
    }

    @Override
    public void sendFrame(int streamId, ByteBuf frame) {
        frame.release();
    }

    @Override
    public void sendErrorAndClose(RSocketErrorException e) {
        dispose();
    }

    @Override
    public ByteBufAllocator alloc() {
        return ByteBufAllocator.DEFAULT;
    }

    @Override
    public SocketAddress remoteAddress() {
        return channel.remoteAddress();
    }

    @Override
    public Mono<Void> onClose() {
        return closed.asMono();
    }

    @Override
    public void dispose() {
        closed.tryEmitEmpty();
        ByteBuf frame;
        while ((frame = queued.poll()) != null) {
            frame.release();
        }
    }

    @Override
    public boolean isDisposed() {
        return closed.scan(reactor.core.Scannable.Attr.TERMINATED) == Boolean.TRUE;
    }
}
