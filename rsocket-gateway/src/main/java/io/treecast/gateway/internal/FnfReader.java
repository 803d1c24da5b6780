package io.treecast.gateway.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.rsocket.RSocket;
import io.rsocket.transport.netty.RSocketLengthCodec;
import io.treecast.fastpath.Batch;
import io.treecast.fastpath.OfferResult;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * Takes a connection's publishes (whole REQUEST_FNF frames on the {@code tree.publish} route) straight off the wire
 * and hands each to the connection's responder chain, skipping rsocket-java's receive queue, multiplexer, responder
 * and per-request Mono and payload: about a third of the server's CPU per update went there at 50,000 publishes/s.
 * The server's mirror of the client's {@code FnfWriter}.
 *
 * <p>It sits in a TCP channel's pipeline right after rsocket-java's frame decoder ({@link RSocketLengthCodec}), put
 * there when the connection's {@link ConnectionGuard} is made, and takes nothing until the SETUP was accepted and
 * the responder it must call exists ({@link #arm}). From then on a frame is taken only when all of these hold, else
 * it goes on to rsocket-java untouched:
 * <ul>
 *   <li>it is a REQUEST_FNF with metadata and without FOLLOWS (a fragmented publish is reassembled by rsocket-java), on
 *       an odd stream id, whose metadata is exactly the usual one-entry composite metadata of {@code tree.publish};</li>
 *   <li>every frame let through before it has reached rsocket-java (its receive queue is empty, so the publish cannot
 *       overtake an earlier request of the same connection);</li>
 *   <li>the guard has not closed the connection and no fragmented payload is being reassembled.</li>
 * </ul>
 * What rsocket-java's responder does for such a frame, and what is done here instead: no stream is registered
 * (rsocket-java keeps none for a whole fire-and-forget either); the payload goes to the same outermost responder
 * ({@link RateLimitedResponder} when a rate limit is set, then {@link ConnectionHandler}: size, route, decode, access
 * rules, forwarding on an edge, stats, the rejected counter); the returned Mono is subscribed and an error it ends
 * with is counted by code as the request interceptor {@link ErrorCounter} counts it (its {@code onStart} does
 * nothing). Leases are not used by the server (a server with leases must not install this reader).
 *
 * <p><b>A full inbound queue pauses the connection instead of dropping its publish.</b> When the engine cannot take
 * a publish read here ({@link OfferResult#BACK_PRESSURED}: its inbound queue is full, e.g. while a
 * cold server compiles its hot path), {@link ConnectionHandler} hands the decoded batch to {@link #hold}: the reader
 * stops reading the socket (TCP flow control then slows the publisher: its client's send buffer fills, see the
 * Java client's {@code ClientOptions.publishBufferBytes}), keeps every frame that had already been read behind the held
 * publish, in order, and offers the held batch again every {@link #RETRY_NANOS} ns. Once the engine takes it, the
 * kept frames are handled as if just read, and reading resumes. What waits is bounded: one batch (already within
 * {@code limits.max-batch-bytes}) plus at most {@link #MAX_WAITING_BYTES} of frames; a publish beyond that is refused
 * and counted, as before (it cannot happen while reading stays paused: one read is at most 64 KiB). Counted in
 * {@code treecast_gateway_publish_pauses_total}. Publishes that reach the server another way (WebSocket, fragmented
 * ones, {@code -Dtreecast.server.rsocket-fnf=true}) wait in {@link HeldPublishes} instead.
 *
 * <p>{@code -Dtreecast.server.rsocket-fnf=true} leaves every frame to rsocket-java: an escape hatch and the A/B switch
 * for measurements, read when a connection is set up.
 *
 * <p>Event-loop confined but for {@link #arm}; allocates nothing per frame (the payload object is reused while the
 * responder releases it before returning, as {@link ConnectionHandler} does).
 */
public final class FnfReader extends ChannelInboundHandlerAdapter {
    /** {@code -Dtreecast.server.rsocket-fnf=true}: publishes go through rsocket-java's responder again. */
    public static final String RSOCKET_FNF_PROPERTY = "treecast.server.rsocket-fnf";
    static final String NAME = "treecast-fnf-reader";
    private static final int LENGTH_BYTES = 3;
    private static final int STREAM_ID_AT = LENGTH_BYTES;
    private static final int TYPE_AND_FLAGS_AT = STREAM_ID_AT + 4;
    private static final int METADATA_LENGTH_AT = TYPE_AND_FLAGS_AT + 2;
    private static final int METADATA_AT = METADATA_LENGTH_AT + 3;
    private static final int REQUEST_FNF = 0x05;
    private static final int FLAG_METADATA = 0b01_0000_0000;
    private static final int FLAG_FOLLOWS = 0b00_1000_0000;
    private static final byte[] PUBLISH_METADATA = publishMetadata();
    /** How long a held publish waits before the engine is asked again: about one writer pass under load. */
    static final long RETRY_NANOS = 100_000;
    /** Frames kept behind a held publish, at most: far above one socket read, so only a misbehaving pipeline reaches it. */
    static final int MAX_WAITING_BYTES = 4 << 20;

    private final ConnectionGuard guard;
    /** The route's bytes the payloads carry as metadata; read-only to whoever gets it, never released. */
    private final ByteBuf metadata = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(PUBLISH_METADATA.clone()).asReadOnly());
    private final Outcome outcome = new Outcome();
    private FramePayload payload = new FramePayload(metadata);
    /** The connection's outermost responder once its SETUP was accepted; null before. */
    private RSocket responder;
    private Gateway gateway;
    /** Frames let through to rsocket-java; equal to the guard's {@link ConnectionGuard#framesReceived} when none wait. */
    private long passed;
    private ChannelHandlerContext ctx;
    /** True while the responder handles a publish this reader took: only then may it {@link #hold} the batch. */
    private boolean taking;
    /** The publish the engine could not take yet (see the class comment), or null. */
    private Batch held;
    /** Frames read after the held publish, in arrival order; ours to release or pass on. */
    private final ArrayDeque<ByteBuf> waiting = new ArrayDeque<>();
    private long waitingBytes;
    private final Runnable retry = this::offerHeldAgain;

    private FnfReader(ConnectionGuard guard) {
        this.guard = guard;
    }

    /** Whether publishes are read here ({@code -Dtreecast.server.rsocket-fnf} is not {@code true}). */
    static boolean enabled() {
        return !Boolean.getBoolean(RSOCKET_FNF_PROPERTY);
    }

    /**
     * Puts a reader right after the frame decoder of {@code channel} (a TCP channel whose rsocket-java connection is
     * being set up, before any frame was read), working with the connection's {@code guard}. Does nothing when the
     * reader is off or the channel has no such decoder.
     */
    static void install(Channel channel, ConnectionGuard guard) {
        if (!enabled()) {
            return;
        }
        ChannelHandlerContext decoder = channel.pipeline().context(RSocketLengthCodec.class);
        if (decoder != null && channel.pipeline().get(NAME) == null) {
            channel.pipeline().addAfter(decoder.name(), NAME, new FnfReader(guard));
        }
    }

    /** The reader of {@code channel}, or null. */
    static FnfReader of(Channel channel) {
        return (FnfReader) channel.pipeline().get(NAME);
    }

    /**
     * The connection's SETUP was accepted and {@code outermost} is the responder rsocket-java will call (the
     * acceptor's {@link ConnectionHandler} with the responder interceptors around it): publishes go to it from now on.
     */
    void arm(RSocket outermost, Gateway gateway, Channel channel) {
        if (channel.eventLoop().inEventLoop()) {
            this.gateway = gateway;
            this.responder = outermost;
        } else {
            channel.eventLoop().execute(() -> arm(outermost, gateway, channel));
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (held != null && msg instanceof ByteBuf && keepWaiting((ByteBuf) msg)) {
            return;
        }
        read(msg);
    }

    /** A frame as it comes off the decoder, or off the waiting list once the engine took the held publish. */
    private void read(Object msg) {
        if (msg instanceof ByteBuf && take((ByteBuf) msg)) {
            return;
        }
        passed++;
        ctx.fireChannelRead(msg);
    }

    /** Keeps {@code frame} behind the held publish; false when the bound is reached (then it is handled at once). */
    private boolean keepWaiting(ByteBuf frame) {
        if (waitingBytes + frame.readableBytes() > MAX_WAITING_BYTES) {
            if (isDirectPublish(frame)) {
                frame.release(); // cannot wait and must not overtake the held publish: refused, as a full queue did before
                gateway.rejected.incrementAndGet();
                return true;
            }
            return false;
        }
        waiting.add(frame);
        waitingBytes += frame.readableBytes();
        return true;
    }

    /**
     * The engine's inbound queue refused {@code batch}, a publish this reader is handing to the responder right now:
     * keep it, stop reading, and offer it again shortly (class comment). False when it cannot be held (not called from
     * {@link #take}, or already holding one): the caller refuses it.
     */
    boolean hold(Batch batch) {
        if (!taking || held != null) {
            return false;
        }
        held = batch;
        gateway.publishPauses.incrementAndGet();
        ctx.channel().config().setAutoRead(false);
        retryLater();
        return true;
    }

    private void retryLater() {
        ctx.executor().schedule(retry, RETRY_NANOS, TimeUnit.NANOSECONDS);
    }

    /** The retry: the held publish again, then the frames that waited behind it, in order, then reading resumes. */
    private void offerHeldAgain() {
        if (held == null) {
            return; // the channel went away meanwhile
        }
        OfferResult r = gateway.engine.offer(held);
        if (r == OfferResult.BACK_PRESSURED) {
            retryLater();
            return;
        }
        if (r != OfferResult.ACCEPTED) {
            gateway.rejected.incrementAndGet(); // the engine closed
        }
        held = null;
        while (held == null && !waiting.isEmpty()) {
            ByteBuf frame = waiting.poll();
            waitingBytes -= frame.readableBytes();
            read(frame); // may hold again: then the rest keeps waiting
        }
        if (held == null && ctx.channel().isActive()) {
            ctx.channel().config().setAutoRead(true); // Netty reads again at once
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        dropWaiting();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        dropWaiting();
    }

    /** The connection ended with a publish held: it and the frames behind it go, as unsent frames go with a lost connection. */
    private void dropWaiting() {
        if (held != null) {
            held = null;
            gateway.rejected.incrementAndGet();
        }
        ByteBuf frame;
        while ((frame = waiting.poll()) != null) {
            frame.release();
        }
        waitingBytes = 0;
    }

    /** Hands {@code frame} to the responder if it is a publish this reader may take (see the class comment). */
    private boolean take(ByteBuf frame) {
        RSocket r = responder;
        if (r == null || passed != guard.framesReceived() || !guard.passesWholeRequests() || !isDirectPublish(frame)) {
            return false;
        }
        frame.readerIndex(frame.readerIndex() + METADATA_AT + PUBLISH_METADATA.length);
        FramePayload p = payload.wrap(frame);
        Mono<Void> done;
        taking = true;
        try {
            done = r.fireAndForget(p);
        } catch (Throwable t) {
            done = Mono.error(t); // as rsocket-java's responder turns a throwing handler into an error
        } finally {
            taking = false;
        }
        if (!p.reusable()) {
            payload = new FramePayload(metadata); // the responder kept it: it is no longer ours to reuse
        }
        gateway.stats.directPublish();
        done.subscribe(outcome);
        return true;
    }

    /** Whether {@code frame} is a whole REQUEST_FNF on the publish route (class comment), read without moving it. */
    private boolean isDirectPublish(ByteBuf frame) {
        int start = frame.readerIndex();
        int length = frame.readableBytes();
        if (length < METADATA_AT + PUBLISH_METADATA.length) {
            return false;
        }
        int typeAndFlags = frame.getUnsignedShort(start + TYPE_AND_FLAGS_AT);
        return typeAndFlags >>> 10 == REQUEST_FNF && (typeAndFlags & (FLAG_METADATA | FLAG_FOLLOWS)) == FLAG_METADATA
                && (frame.getInt(start + STREAM_ID_AT) & 1) != 0
                && frame.getUnsignedMedium(start + METADATA_LENGTH_AT) == PUBLISH_METADATA.length
                && ByteBufUtil.equals(frame, start + METADATA_AT, metadata, 0, PUBLISH_METADATA.length);
    }

    /** The composite metadata a publish carries: the one-entry routing metadata of {@code tree.publish}. */
    static byte[] publishMetadata() {
        ByteBuf b = Routing.metadata(Routing.PUBLISH);
        try {
            return ByteBufUtil.getBytes(b);
        } finally {
            b.release();
        }
    }

    /** Subscribes each request's Mono, as rsocket-java does, and counts an error it ends with by its code. */
    private final class Outcome implements CoreSubscriber<Void> {
        @Override
        public void onSubscribe(Subscription s) {
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(Void v) {
        }

        @Override
        public void onError(Throwable t) {
            ErrorCounter.countError(gateway, t);
        }

        @Override
        public void onComplete() {
        }
    }
}
