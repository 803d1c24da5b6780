package io.treecast.gateway.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.util.AttributeKey;
import io.netty.util.internal.PlatformDependent;

import java.util.Queue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Writes the subscription frames of one connection straight to its Netty channel, bypassing rsocket-java's
 * per-payload operators and send queue: the dispatcher thread hands over whole RSocket frames (already framed for
 * the transport), and the connection's event loop writes everything queued and flushes once per pass. One
 * event-loop task is scheduled per burst, not per frame.
 *
 * <p>The bytes queued here plus the bytes Netty still holds for the socket form the connection's send backlog.
 * While it is at or above {@code budgetBytes} ({@code limits.max-send-queue-bytes}) the streams of this connection
 * grant the engine no more demand, so a client that does not read makes its subscriptions' outboxes fill (CONFLATE
 * conflates, STRICT ends with SLOW_CONSUMER) instead of making the server buffer without bound. When the backlog
 * drains the writer tells the starved streams to ask again.
 *
 * <p>Thread-safety: {@link #enqueue} from any thread (in practice one dispatcher per stream); the rest runs on the
 * channel's event loop.
 */
public final class FrameWriter implements Runnable {
    static final AttributeKey<FrameWriter> KEY = AttributeKey.valueOf("treecast.frameWriter");

    private final Channel channel;
    private final boolean webSocket;
    private final long budgetBytes;
    private final Queue<Object> queue = PlatformDependent.newMpscQueue();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final AtomicLong queuedBytes = new AtomicLong();
    private final CopyOnWriteArrayList<DirectStream> streams = new CopyOnWriteArrayList<>();
    private volatile boolean closed;
    /** Some stream of this connection starved since the last wake-up ({@link #streamStarved}). */
    private volatile boolean anyStarved;

    private FrameWriter(Channel channel, boolean webSocket, long budgetBytes) {
        this.channel = channel;
        this.webSocket = webSocket;
        this.budgetBytes = budgetBytes;
    }

    /**
     * Attaches a writer to a newly accepted channel (reactor-netty's {@code doOnConnection}): it is found again by
     * the channel's remote address ({@link ChannelDirectory}) and woken when the socket drains.
     */
    static FrameWriter attach(Channel channel, boolean webSocket, long budgetBytes) {
        FrameWriter writer = new FrameWriter(channel, webSocket, budgetBytes);
        channel.attr(KEY).set(writer);
        // Netty turns the channel unwritable above the budget, so a backlog over budget always ends with a
        // writability event (DrainWatch) once the socket drains: starved streams are never forgotten
        int high = (int) Math.min(Integer.MAX_VALUE, budgetBytes);
        channel.config().setWriteBufferWaterMark(new WriteBufferWaterMark(Math.max(1, high / 2), high));
        channel.pipeline().addFirst("treecast-drain-watch", DrainWatch.INSTANCE);
        channel.closeFuture().addListener(f -> writer.close());
        return writer;
    }

    /** The connection's channel (its pipeline holds the TLS session, if any). */
    Channel channel() {
        return channel;
    }

    /** Bytes of the RSocket frame header this transport needs before the stream id: the TCP length prefix, or none. */
    int lengthPrefixBytes() {
        return webSocket ? 0 : 3;
    }

    /** Whether the send backlog is within the budget: starved streams may take more from the engine. */
    boolean ready() {
        return backlogBytes() <= budgetBytes;
    }

    /** Bytes handed over but not yet written to the socket. */
    long backlogBytes() {
        ChannelOutboundBuffer out = channel.unsafe().outboundBuffer();
        return queuedBytes.get() + (out == null ? 0 : out.totalPendingWriteBytes());
    }

    long budgetBytes() {
        return budgetBytes;
    }

    void register(DirectStream stream) {
        streams.add(stream);
    }

    void unregister(DirectStream stream) {
        streams.remove(stream);
    }

    /** Queues one whole frame (ownership passes here) and makes sure the event loop will write it. */
    void enqueue(ByteBuf frame) {
        if (closed) {
            frame.release();
            return;
        }
        queuedBytes.addAndGet(frame.readableBytes());
        queue.offer(frame);
        // should the channel close meanwhile, the pass this schedules releases the frame: only the event loop
        // takes from the queue (it has a single consumer)
        schedule();
    }

    /** Runs {@code signal} on the event loop after every frame queued before it (stream ends go this way). */
    void enqueue(Runnable signal) {
        queue.offer(signal);
        schedule();
    }

    /**
     * Sends a CONNECTION_ERROR frame (stream 0) with {@code codeAndMessage} after every frame queued before it, then
     * closes the channel: how the server ends a connection whose credential expired.
     */
    void closeWithError(String codeAndMessage) {
        enqueue(() -> {
            if (closed || !channel.isActive()) {
                return;
            }
            ByteBuf error = io.rsocket.frame.ErrorFrameCodec.encode(channel.alloc(), 0,
                    new io.rsocket.exceptions.ConnectionErrorException(codeAndMessage));
            ByteBuf frame = webSocket ? error : io.rsocket.frame.FrameLengthCodec.encode(channel.alloc(), error.readableBytes(), error);
            channel.writeAndFlush(webSocket ? new BinaryWebSocketFrame(frame) : frame)
                    .addListener(io.netty.channel.ChannelFutureListener.CLOSE);
        });
    }

    private void schedule() {
        if (!scheduled.get() && scheduled.compareAndSet(false, true)) {
            channel.eventLoop().execute(this);
        }
    }

    /** The event-loop pass: write everything queued, flush once, then wake starved streams if there is room. */
    @Override
    public void run() {
        while (true) {
            long bytes = 0;
            int frames = 0;
            Object o;
            while ((o = queue.poll()) != null) {
                if (o instanceof ByteBuf) {
                    ByteBuf frame = (ByteBuf) o;
                    bytes += frame.readableBytes();
                    if (closed) {
                        frame.release();
                    } else {
                        channel.write(webSocket ? new BinaryWebSocketFrame(frame) : frame, channel.voidPromise());
                        frames++;
                    }
                } else {
                    ((Runnable) o).run();
                }
            }
            if (frames > 0) {
                channel.flush();
            }
            queuedBytes.addAndGet(-bytes);
            scheduled.set(false);
            if (queue.isEmpty() || !scheduled.compareAndSet(false, true)) {
                break;
            }
        }
        wakeStarved();
    }

    /**
     * A stream of this connection stopped taking events for lack of room (it sets its own flag first, then this one,
     * then looks at the backlog once more, so a drain in between is never missed).
     */
    void streamStarved() {
        anyStarved = true;
    }

    /**
     * Asks every stream that stopped for lack of room to take demand again, while there is room. Runs after every
     * pass; walks the streams only when one of them starved, so a connection with many subscriptions pays nothing
     * per pass while it keeps up.
     */
    void wakeStarved() {
        if (!anyStarved || !ready()) {
            return;
        }
        anyStarved = false;
        for (DirectStream s : streams) {
            s.roomAvailable();
        }
    }

    private void close() {
        closed = true;
        drainReleasing();
        for (DirectStream s : streams) {
            s.connectionClosed();
        }
    }

    private void drainReleasing() {
        Object o;
        while ((o = queue.poll()) != null) {
            if (o instanceof ByteBuf) {
                queuedBytes.addAndGet(-((ByteBuf) o).readableBytes());
                ((ByteBuf) o).release();
            } else {
                ((Runnable) o).run();
            }
        }
    }

    /** Tells the connection's writer when the socket drained below Netty's low water mark. */
    @ChannelHandler.Sharable
    static final class DrainWatch extends ChannelInboundHandlerAdapter {
        static final DrainWatch INSTANCE = new DrainWatch();

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                FrameWriter w = ctx.channel().attr(KEY).get();
                if (w != null) {
                    w.wakeStarved();
                }
            }
            ctx.fireChannelWritabilityChanged();
        }
    }
}
