package io.treecast.gateway.internal;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.rsocket.exceptions.ConnectionErrorException;
import io.rsocket.frame.ErrorFrameCodec;
import io.rsocket.frame.FrameLengthCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * The first handler of every client channel: closes a connection that sends nothing at all for
 * {@code limits.idle-timeout-ms} and, on TCP, one whose started frame does not arrive whole within
 * {@code limits.frame-read-timeout-ms} (a length prefix announcing 8 MiB followed by a trickle, or by nothing, held
 * the buffer and the connection forever). On TCP the client first gets an RSocket connection ERROR frame, {@code TIMEOUT: ...} naming
 * the limit; a WebSocket channel is just closed. On TCP it also closes, with {@code MALFORMED: ...}, a connection whose
 * length prefix announces more than {@link #LONGEST_TCP_FRAME} bytes, before any of that frame is buffered.
 *
 * <p>Per read it walks the RSocket length prefixes of the bytes (O(frames), not O(bytes)); one timer per connection
 * is armed for the nearest deadline and re-armed when it fires early, so an active connection costs no timer work
 * per frame. Event-loop confined.
 */
public final class InboundTimeouts extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(InboundTimeouts.class);
    private static final LogLimiter IDLE = new LogLimiter(LOG, "connection closed: idle timeout", 10_000_000_000L);
    private static final LogLimiter PARTIAL = new LogLimiter(LOG, "connection closed: frame read timeout", 10_000_000_000L);
    private static final LogLimiter TOO_LONG = new LogLimiter(LOG, "connection closed: frame longer than the transport reads", 10_000_000_000L);
    /**
     * The longest frame body the TCP transport decodes: its length decoder counts the 3-byte prefix in its maximum
     * (16 MiB - 1), and a longer frame it discards with an exception that closes nothing, so the connection then hung
     * with the client waiting for answers (ProtocolFuzzIT, seed 45806242287879, connection 2638).
     */
    static final int LONGEST_TCP_FRAME = FrameLengthCodec.FRAME_LENGTH_MASK - FrameLengthCodec.FRAME_LENGTH_SIZE;

    private final long idleNanos;
    private final long frameReadNanos;
    private final boolean rsocketLengthPrefixed;
    /** Bytes of the current 3-byte length prefix read so far (0 = at a frame boundary or in a body). */
    private int prefixBytes;
    private int prefix;
    /** Body bytes of the current frame still to come. */
    private int bodyRemaining;
    /** When the unfinished frame began arriving; 0 when at a frame boundary. */
    private long frameStartNanos;
    private long lastReadNanos;
    private ScheduledFuture<?> timer;
    private long timerDeadline;
    private boolean closed;

    /**
     * @param rsocketLengthPrefixed true on the TCP transport (frames carry the 3-byte length prefix), false on
     *                              WebSocket (only the idle timeout applies)
     */
    public InboundTimeouts(long idleMillis, long frameReadMillis, boolean rsocketLengthPrefixed) {
        this.idleNanos = TimeUnit.MILLISECONDS.toNanos(idleMillis);
        this.frameReadNanos = TimeUnit.MILLISECONDS.toNanos(frameReadMillis);
        this.rsocketLengthPrefixed = rsocketLengthPrefixed;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        lastReadNanos = System.nanoTime();
        arm(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (timer != null) {
            timer.cancel(false);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (timer != null) {
            timer.cancel(false);
        }
        super.channelInactive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (closed) {
            ReferenceCountUtil.release(msg);
            return;
        }
        long now = System.nanoTime();
        lastReadNanos = now;
        if (rsocketLengthPrefixed && msg instanceof ByteBuf) {
            ByteBuf bytes = (ByteBuf) msg;
            int tooLongAt = scan(bytes, now);
            if (tooLongAt >= 0) {
                refuseTooLong(ctx, bytes, tooLongAt);
                return;
            }
            if (frameStartNanos != 0 && frameStartNanos + frameReadNanos - timerDeadline < 0) {
                // an unfinished frame's deadline comes before the armed one (the idle deadline): re-arm once per frame
                timer.cancel(false);
                arm(ctx);
            }
        }
        ctx.fireChannelRead(msg);
    }

    /**
     * Follows the frame boundaries through {@code bytes} without moving its indexes. Returns where (in {@code bytes})
     * the length prefix of a frame longer than {@link #LONGEST_TCP_FRAME} begins (its reader index if the prefix
     * began in an earlier read), else -1.
     */
    private int scan(ByteBuf bytes, long now) {
        int i = bytes.readerIndex();
        int end = bytes.writerIndex();
        boolean finishedOne = false;
        int prefixAt = i;
        while (i < end) {
            if (bodyRemaining == 0) {
                if (prefixBytes == 0) {
                    prefixAt = i;
                }
                prefix = (prefix << 8) | bytes.getUnsignedByte(i++);
                if (++prefixBytes == FrameLengthCodec.FRAME_LENGTH_SIZE) {
                    bodyRemaining = prefix;
                    if (bodyRemaining > LONGEST_TCP_FRAME) {
                        return prefixAt;
                    }
                    prefix = 0;
                    prefixBytes = 0;
                    if (bodyRemaining == 0) {
                        finishedOne = true;
                    }
                }
            } else {
                int n = Math.min(bodyRemaining, end - i);
                i += n;
                bodyRemaining -= n;
                if (bodyRemaining == 0) {
                    finishedOne = true;
                }
            }
        }
        boolean midFrame = bodyRemaining > 0 || prefixBytes > 0;
        if (!midFrame) {
            frameStartNanos = 0;
        } else if (finishedOne || frameStartNanos == 0) {
            frameStartNanos = now;
        }
        return -1;
    }

    /** Passes on the frames before the one at {@code at}, then closes the connection with a MALFORMED error. */
    private void refuseTooLong(ChannelHandlerContext ctx, ByteBuf bytes, int at) {
        int declared = bodyRemaining;
        if (at > bytes.readerIndex()) {
            ctx.fireChannelRead(bytes.retainedSlice(bytes.readerIndex(), at - bytes.readerIndex()));
        }
        bytes.release();
        TOO_LONG.warn("{}: a frame declared {} bytes", ctx.channel().remoteAddress(), declared);
        close(ctx, "MALFORMED", "a frame's length prefix says " + declared + " bytes, more than the " + LONGEST_TCP_FRAME
                + " bytes a frame on this transport can carry; the connection is closed: send RSocket 1.0 frames (see"
                + " proto/README.md), larger payloads in fragments");
    }

    private long deadline() {
        long d = lastReadNanos + idleNanos;
        if (frameStartNanos != 0) {
            d = Math.min(d, frameStartNanos + frameReadNanos);
        }
        return d;
    }

    private void arm(ChannelHandlerContext ctx) {
        timerDeadline = deadline();
        long delay = Math.max(1, timerDeadline - System.nanoTime());
        timer = ctx.executor().schedule(() -> check(ctx), delay, TimeUnit.NANOSECONDS);
    }

    private void check(ChannelHandlerContext ctx) {
        if (closed || !ctx.channel().isActive()) {
            return;
        }
        long now = System.nanoTime();
        if (frameStartNanos != 0 && now - frameStartNanos >= frameReadNanos) {
            PARTIAL.warn("{}: a frame was still {} bytes short after {} ms", ctx.channel().remoteAddress(),
                    bodyRemaining, frameReadNanos / 1_000_000);
            close(ctx, "TIMEOUT", "the connection started a frame and did not finish it within " + frameReadNanos / 1_000_000
                    + " ms (limits.frame-read-timeout-ms): send each frame whole, without pauses; the connection is closed");
        } else if (now - lastReadNanos >= idleNanos) {
            IDLE.warn("{}: nothing received for {} ms", ctx.channel().remoteAddress(), idleNanos / 1_000_000);
            close(ctx, "TIMEOUT", "nothing was received on this connection for " + idleNanos / 1_000_000
                    + " ms (limits.idle-timeout-ms): send the SETUP at once and keep-alives more often; the connection is closed");
        } else {
            arm(ctx);
        }
    }

    private void close(ChannelHandlerContext ctx, String code, String message) {
        closed = true;
        if (rsocketLengthPrefixed) {
            ByteBuf frame = ErrorFrameCodec.encode(ctx.alloc(), 0, new ConnectionErrorException(code + ": " + message));
            // written from the head of the pipeline: the server's outbound frames are whole buffers, so this lands on
            // a frame boundary; closing right after drops it only if the client does not read at all
            ctx.writeAndFlush(FrameLengthCodec.encode(ctx.alloc(), frame.readableBytes(), frame));
        }
        ctx.close();
    }
}
