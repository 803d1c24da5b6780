package io.treecast.client.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.internal.PlatformDependent;
import io.rsocket.RSocket;
import io.treecast.client.ClientOptions;
import reactor.netty.NettyPipeline;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;
import java.util.Queue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Writes the REQUEST_FNF frames of one TCP or WebSocket connection straight to its Netty channel, bypassing rsocket-java's
 * per-request Mono, payload slicing, frame encoder (a composite buffer per frame) and unbounded send queue. The
 * caller encodes the whole frame into one pooled buffer ({@link #allocate}, then the data, then {@link #send});
 * the connection's event loop takes the stream id from rsocket-java's own supplier (so the ids never collide with
 * the connection's other streams, and this writer's frames carry them in the order they go out), writes every
 * queued frame and flushes once per pass. One event-loop task is scheduled per burst, not per frame. The frames are
 * byte for byte what rsocket-java would send for the same payload (fragmented at the same MTU), proved by
 * DirectPublishIT. On a WebSocket connection each frame goes out as one binary WebSocket message without the length
 * prefix, as rsocket-java's WebSocket transport sends it.
 *
 * <p>rsocket-java keeps owning the connection: SETUP (which must be the first frame on the wire, so nothing is
 * written here before rsocket-java's first write went out, see {@link FirstWriteWatch}), keep-alives, the other
 * interactions and the close.
 *
 * <p>The stream id supplier is not public API: it is found once by reflection ({@code RequesterResponderSupport
 * .getNextStreamId()}); when it is not there (another rsocket-java version), {@link #available()} is false and the
 * client publishes through rsocket-java as before.
 *
 * <p>What it holds is bounded: the bytes queued here plus those Netty has not yet written to the socket stay within
 * {@code budgetBytes} ({@code ClientOptions.publishBufferBytes}). Callers ask {@link #awaitRoom} before they encode a
 * publish: a server that stops reading (its engine's queue is full) slows the publisher instead of making this client
 * buffer without end.
 *
 * <pre>{@code
 * writer.awaitRoom(timeoutNanos);       // throws OVERLOADED when the buffer stays full
 * ByteBuf frame = writer.allocate(metadata, dataBytes);
 * batch.writeTo(frame, ack);            // exactly dataBytes
 * writer.send(frame);                   // ownership passes; never blocks
 * }</pre>
 *
 * <p>Thread-safety: {@link #allocate} and {@link #send} from any thread; the rest runs on the channel's event loop.
 */
public final class FnfWriter implements Runnable {
    /**
     * {@code -Dtreecast.client.rsocket-fnf=true} publishes through rsocket-java's own fire-and-forget again: an
     * escape hatch, and the A/B switch for measurements. Read when a client connects.
     */
    public static final String RSOCKET_FNF_PROPERTY = "treecast.client.rsocket-fnf";
    private static final int LENGTH_BYTES = 3;
    private static final int HEADER_BYTES = LENGTH_BYTES + 4 + 2; // length, stream id, type and flags
    private static final int METADATA_LENGTH_BYTES = 3;
    private static final int TYPE_SHIFT = 10;
    private static final int REQUEST_FNF = 0x05 << TYPE_SHIFT;
    private static final int PAYLOAD = 0x0A << TYPE_SHIFT;
    private static final int FLAG_METADATA = 0b01_0000_0000;
    private static final int FLAG_FOLLOWS = 0b00_1000_0000;
    private static final int FLAG_NEXT = 0b00_0010_0000;
    private static final Class<?> REQUESTER = requesterClass();
    private static final MethodHandle NEXT_STREAM_ID = nextStreamIdHandle();

    private final Channel channel;
    /** WebSocket: each frame (without its length prefix) in a binary WebSocket message. */
    private final boolean webSocket;
    private final RSocket requester;
    private final int mtu;
    private final FirstWriteWatch watch;
    private final Queue<Object> queue = PlatformDependent.newMpscQueue();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final long lingerNanos;
    private final long budgetBytes;
    /** Bytes sent here and not yet handed to Netty. */
    private final AtomicLong queuedBytes = new AtomicLong();
    private volatile boolean closed;

    private FnfWriter(Channel channel, RSocket requester, int mtu, FirstWriteWatch watch, long lingerNanos, long budgetBytes) {
        this.channel = channel;
        this.webSocket = watch.webSocket;
        this.requester = requester;
        this.mtu = mtu;
        this.watch = watch;
        this.lingerNanos = lingerNanos;
        this.budgetBytes = budgetBytes;
    }

    /**
     * {@link ClientOptions#PUBLISH_LINGER_PROPERTY} in nanoseconds (0 when unset): with N > 0 the first publish of a
     * burst has the event loop write and flush N microseconds later, so the publishes of that window leave in one
     * write (one wake-up of the loop, one send, one read on the server) instead of one each.
     *
     * @throws IllegalArgumentException when it is not an integer 0..{@link ClientOptions#MAX_PUBLISH_LINGER_MICROS}
     */
    public static long lingerNanos() {
        return RangedProperty.read(ClientOptions.PUBLISH_LINGER_PROPERTY, 0, 0, ClientOptions.MAX_PUBLISH_LINGER_MICROS,
                "microseconds") * 1000;
    }

    /** Whether rsocket-java's stream id supplier was found: else every client publishes through rsocket-java. */
    public static boolean available() {
        return NEXT_STREAM_ID != null;
    }

    /**
     * For reactor-netty's {@code doOnChannelInit} of a TCP or WebSocket client, before rsocket-java sends SETUP (which
     * it does before its connect emits, and before {@code doOnConnected} callbacks run): watches for that first write
     * (on a WebSocket, the first WebSocket message: the HTTP upgrade request goes out before it). Returns the watch to
     * hand to {@link #attach}.
     */
    public static FirstWriteWatch watch(Channel channel, boolean webSocket) {
        FirstWriteWatch w = new FirstWriteWatch(webSocket);
        // just before reactor-netty's bridge, which writes rsocket-java's frames: on the application side of TLS,
        // so the handshake's writes are not taken for SETUP
        if (channel.pipeline().get(NettyPipeline.ReactiveBridge) != null) {
            channel.pipeline().addBefore(NettyPipeline.ReactiveBridge, "treecast-first-write-watch", w);
        } else {
            channel.pipeline().addLast("treecast-first-write-watch", w);
        }
        return w;
    }

    /**
     * A writer for the connected {@code rsocket} on {@code channel}, or null when the direct path is off or cannot
     * work for it (supplier not found, not rsocket-java's requester, channel already closed). {@code lingerNanos}:
     * {@link #lingerNanos()}, read before the connection was opened; {@code budgetBytes}: the publish buffer's bound.
     */
    public static FnfWriter attach(Channel channel, RSocket rsocket, int mtu, FirstWriteWatch watch, long lingerNanos,
                                   long budgetBytes) {
        if (!available() || Boolean.getBoolean(RSOCKET_FNF_PROPERTY) || channel == null || watch == null
                || !REQUESTER.isInstance(rsocket)) {
            return null;
        }
        FnfWriter writer = new FnfWriter(channel, rsocket, mtu, watch, lingerNanos, budgetBytes);
        watch.writer = writer;
        channel.closeFuture().addListener(f -> writer.close());
        return channel.isActive() ? writer : null;
    }

    /** Bytes of publishes held for the socket: queued here plus not yet written by Netty. */
    public long backlogBytes() {
        io.netty.channel.ChannelOutboundBuffer out = channel.unsafe().outboundBuffer();
        return queuedBytes.get() + (out == null ? 0 : out.totalPendingWriteBytes());
    }

    /**
     * Returns when the publish buffer is below its bound, waiting up to {@code timeoutNanos} (0: not at all) for the
     * socket to take what it holds. A closed connection returns at once (the publish is then dropped, as a send on a
     * closed connection is).
     * On an event-loop thread (Reactor's non-blocking threads: a subscription callback, say) it never waits: the
     * loop may be the one that must drain this very socket.
     *
     * @throws io.treecast.client.TreecastClientException OVERLOADED when the buffer stayed at its bound
     */
    public void awaitRoom(long timeoutNanos) {
        if (backlogBytes() < budgetBytes) {
            return; // the common case: two counters, no clock
        }
        if (timeoutNanos > 0 && reactor.core.scheduler.Schedulers.isInNonBlockingThread()) {
            timeoutNanos = 0;
        }
        long start = System.nanoTime();
        long pause = 20_000;
        while (!closed && backlogBytes() >= budgetBytes) {
            long waited = System.nanoTime() - start;
            if (waited >= timeoutNanos) {
                throw new io.treecast.client.TreecastClientException(io.treecast.client.TreecastClientException.Code.OVERLOADED,
                        "the connection's publish buffer holds " + backlogBytes() + " bytes, at its bound of " + budgetBytes
                        + " (ClientOptions.publishBufferBytes): the server reads slower than this client publishes"
                        + (timeoutNanos > 0 ? " (waited " + waited / 1_000_000 + " ms, the request timeout)" : "")
                        + "; nothing of this publish was sent", null);
            }
            LockSupport.parkNanos(Math.min(pause, timeoutNanos - waited));
            pause = Math.min(pause * 2, 1_000_000); // from 20 µs up to 1 ms: a drain is seen soon, a long stall costs little
        }
    }

    /**
     * A pooled buffer holding the header of a REQUEST_FNF frame with {@code metadata}, ready for {@code dataBytes}
     * bytes of data: write exactly those, then {@link #send} it.
     */
    public ByteBuf allocate(ByteBuf metadata, int dataBytes) {
        int metadataBytes = metadata.readableBytes();
        ByteBuf frame = header(metadataBytes, dataBytes);
        frame.writeBytes(metadata, metadata.readerIndex(), metadataBytes);
        return frame;
    }

    /**
     * As {@link #allocate(ByteBuf, int)} with the metadata as an array: one plain copy into the frame (from a
     * read-only wrapped buffer the copy goes through its wrappers and was most of the time spent here per publish).
     */
    public ByteBuf allocate(byte[] metadata, int dataBytes) {
        ByteBuf frame = header(metadata.length, dataBytes);
        frame.writeBytes(metadata);
        return frame;
    }

    private static ByteBuf header(int metadataBytes, int dataBytes) {
        int size = HEADER_BYTES + METADATA_LENGTH_BYTES + metadataBytes + dataBytes;
        ByteBuf frame = ByteBufAllocator.DEFAULT.buffer(size, size);
        frame.writeMedium(size - LENGTH_BYTES);
        frame.writeInt(0); // the stream id, set on the event loop
        frame.writeShort(REQUEST_FNF | FLAG_METADATA);
        frame.writeMedium(metadataBytes);
        return frame;
    }

    /**
     * Queues a frame made by {@link #allocate} (ownership passes here) and makes sure the event loop will write it.
     * Never blocks. A frame larger than the MTU is cut into fragments here, as rsocket-java would. When the
     * connection is closed the frame is dropped, as rsocket-java drops a fire-and-forget on a closed connection.
     */
    public void send(ByteBuf frame) {
        if (closed) {
            frame.release();
            return;
        }
        queuedBytes.addAndGet(frame.readableBytes());
        queue.offer(frame.readableBytes() <= mtu ? frame : fragments(frame));
        // should the channel close meanwhile, the pass this schedules releases the frame: only the event loop
        // takes from the queue (it has a single consumer)
        schedule();
    }

    private void schedule() {
        if (!scheduled.get() && scheduled.compareAndSet(false, true)) {
            if (lingerNanos > 0) {
                channel.eventLoop().schedule(this, lingerNanos, TimeUnit.NANOSECONDS);
            } else {
                channel.eventLoop().execute(this);
            }
        }
    }

    /** The event-loop pass: a stream id for each queued frame, write them all, flush once. */
    @Override
    public void run() {
        if (!watch.seen) {
            // SETUP has not gone out yet: the watch schedules a pass once it has
            scheduled.set(false);
            return;
        }
        while (true) {
            int frames = 0;
            long bytes = 0;
            Object o;
            while ((o = queue.poll()) != null) {
                bytes += o instanceof ByteBuf ? ((ByteBuf) o).readableBytes() : ((Fragments) o).bytes;
                if (closed || !channel.isActive()) {
                    ReferenceCountUtil.release(o);
                    continue;
                }
                int streamId;
                try {
                    streamId = (int) NEXT_STREAM_ID.invokeExact((Object) requester);
                } catch (Throwable requesterGone) {
                    ReferenceCountUtil.release(o); // rsocket-java refuses new streams: the connection is ending
                    continue;
                }
                if (o instanceof ByteBuf) {
                    write((ByteBuf) o, streamId);
                } else {
                    for (ByteBuf fragment : ((Fragments) o).frames) {
                        write(fragment, streamId);
                    }
                }
                frames++;
            }
            if (frames > 0) {
                channel.flush();
            }
            queuedBytes.addAndGet(-bytes); // after the write: Netty's pending bytes count them from there
            scheduled.set(false);
            if (queue.isEmpty() || !scheduled.compareAndSet(false, true)) {
                break;
            }
        }
    }

    /** One frame with its stream id: as it is on TCP, without its length prefix in a binary message on a WebSocket. */
    private void write(ByteBuf frame, int streamId) {
        frame.setInt(LENGTH_BYTES, streamId);
        Object message = webSocket
                ? new io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame(frame.skipBytes(LENGTH_BYTES)) : frame;
        channel.write(message, channel.voidPromise());
    }

    private void close() {
        closed = true;
        Object o;
        while ((o = queue.poll()) != null) {
            ReferenceCountUtil.release(o);
        }
        queuedBytes.set(0);
    }

    /**
     * The frames rsocket-java sends for a payload larger than the MTU: a REQUEST_FNF with FOLLOWS holding the
     * metadata and the first data, then PAYLOAD frames with NEXT (and FOLLOWS but the last), each at most
     * {@link #mtu} bytes with its length prefix. Releases {@code frame}.
     */
    private Fragments fragments(ByteBuf frame) {
        try {
            int metadataBytes = frame.getUnsignedMedium(HEADER_BYTES);
            int dataStart = HEADER_BYTES + METADATA_LENGTH_BYTES + metadataBytes;
            int end = frame.writerIndex();
            java.util.List<ByteBuf> out = new java.util.ArrayList<>();
            ByteBuf first = ByteBufAllocator.DEFAULT.buffer(mtu, mtu);
            first.writeBytes(frame, 0, mtu);
            first.setMedium(0, mtu - LENGTH_BYTES);
            first.setShort(LENGTH_BYTES + 4, REQUEST_FNF | FLAG_METADATA | FLAG_FOLLOWS);
            out.add(first);
            int offset = mtu;
            if (offset < dataStart) {
                throw new IllegalStateException("metadata of " + metadataBytes + " bytes does not fit one fragment of " + mtu);
            }
            while (offset < end) {
                int len = Math.min(mtu - HEADER_BYTES, end - offset);
                boolean last = offset + len == end;
                ByteBuf f = ByteBufAllocator.DEFAULT.buffer(HEADER_BYTES + len, HEADER_BYTES + len);
                f.writeMedium(HEADER_BYTES - LENGTH_BYTES + len);
                f.writeInt(0);
                f.writeShort(PAYLOAD | FLAG_NEXT | (last ? 0 : FLAG_FOLLOWS));
                f.writeBytes(frame, offset, len);
                out.add(f);
                offset += len;
            }
            return new Fragments(out.toArray(new ByteBuf[0]), end);
        } finally {
            frame.release();
        }
    }

    /** The fragments of one large frame: they share one stream id and go out together. */
    private static final class Fragments implements io.netty.util.ReferenceCounted {
        final ByteBuf[] frames;
        /** The whole frame's size, as counted when it was sent. */
        final int bytes;

        Fragments(ByteBuf[] frames, int bytes) {
            this.frames = frames;
            this.bytes = bytes;
        }

        @Override public int refCnt() { return frames[0].refCnt(); }
        @Override public Fragments retain() { throw new UnsupportedOperationException(); }
        @Override public Fragments retain(int n) { throw new UnsupportedOperationException(); }
        @Override public Fragments touch() { return this; }
        @Override public Fragments touch(Object hint) { return this; }
        @Override public boolean release(int n) { return release(); }

        @Override
        public boolean release() {
            for (ByteBuf f : frames) {
                f.release();
            }
            return true;
        }
    }

    /**
     * Sees the first frame rsocket-java writes on a new connection (SETUP) go by, lets the writer start after it,
     * and leaves the pipeline: every later write passes untouched.
     */
    public static final class FirstWriteWatch extends ChannelDuplexHandler {
        /** Event loop only. */
        boolean seen;
        volatile FnfWriter writer;
        /** Only a WebSocket message counts: the HTTP upgrade request is written before SETUP. */
        final boolean webSocket;

        FirstWriteWatch(boolean webSocket) {
            this.webSocket = webSocket;
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            boolean setup = !webSocket || msg instanceof io.netty.handler.codec.http.websocketx.WebSocketFrame;
            ctx.write(msg, promise);
            if (!seen && setup) {
                seen = true;
                ctx.pipeline().remove(this);
                FnfWriter w = writer;
                if (w != null) {
                    w.schedule(); // frames queued before SETUP went out
                }
            }
        }
    }

    private static Class<?> requesterClass() {
        try {
            return Class.forName("io.rsocket.core.RSocketRequester");
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return Void.class;
        }
    }

    /** rsocket-java's {@code RequesterResponderSupport.getNextStreamId()} as {@code (Object) -> int}, or null. */
    private static MethodHandle nextStreamIdHandle() {
        try {
            Class<?> support = Class.forName("io.rsocket.core.RequesterResponderSupport");
            Method m = support.getDeclaredMethod("getNextStreamId");
            if (m.getReturnType() != int.class || !support.isAssignableFrom(REQUESTER)) {
                return null;
            }
            m.setAccessible(true);
            return MethodHandles.lookup().unreflect(m).asType(MethodType.methodType(int.class, Object.class));
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return null;
        }
    }
}
