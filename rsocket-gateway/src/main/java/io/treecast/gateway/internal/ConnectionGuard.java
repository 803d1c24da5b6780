package io.treecast.gateway.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.rsocket.DuplexConnection;
import io.rsocket.RSocketErrorException;
import io.rsocket.exceptions.ConnectionErrorException;
import io.rsocket.exceptions.RejectedSetupException;
import io.rsocket.frame.FrameHeaderCodec;
import io.rsocket.frame.FrameType;
import io.rsocket.frame.KeepAliveFrameCodec;
import io.rsocket.frame.SetupFrameCodec;
import io.rsocket.plugins.DuplexConnectionInterceptor;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.net.SocketAddress;
import java.util.HashMap;
import java.util.Map;

/**
 * Wraps the raw connection of every client (RSocket's {@code SOURCE} connection, before RSocket reads a single
 * frame) and enforces what RSocket itself leaves unbounded:
 * <ul>
 *   <li><b>fragment reassembly, in bytes, per connection</b>: RSocket bounds one reassembled payload
 *       ({@code maxInboundPayloadSize}) but not how many streams may each hold an unfinished one, so 24 never-finished
 *       15 MiB payloads held 720 MiB. The guard adds up the bytes of every unfinished fragmented payload of the
 *       connection and closes it with a connection error naming {@code limits.max-reassembly-bytes} once the sum
 *       passes it;</li>
 *   <li><b>the keep-alive floor</b>: a SETUP asking for KEEPALIVEs more often than {@code limits.min-keepalive-ms}
 *       is refused here, before RSocket starts ticking at that interval (a 1 ms interval made the server send
 *       ~2,500 KEEPALIVE/s to that client);</li>
 *   <li><b>the keep-alive lifetime</b>: the SETUP's max lifetime is how long the server keeps a silent connection;
 *       the guard caps it at {@code limits.max-keepalive-lifetime-ms} by rewriting the SETUP frame before RSocket
 *       reads it, so RSocket's own keep-alive check closes a silent connection in time;</li>
 *   <li><b>malformed frames</b> (shorter than their fixed fields, metadata longer than the frame, unknown types)
 *       close the connection with {@code MALFORMED} and one rate-limited log line, before RSocket reads them;</li>
 *   <li><b>keep-alive answers</b>: RSocket answers every KEEPALIVE with the respond flag. A client that sends them
 *       faster than {@code limits.min-keepalive-ms} allows has the extra ones dropped unanswered.</li>
 * </ul>
 * The bookkeeping runs on the connection's event loop (frames of one connection arrive in order on one thread) and
 * costs two header reads per frame; the per-stream map is touched only by fragmented payloads.
 */
public final class ConnectionGuard implements DuplexConnection {
    private static final LogLimiter CLOSED = new LogLimiter(org.slf4j.LoggerFactory.getLogger(ConnectionGuard.class),
            "connection closed: fragment reassembly budget exceeded", 10_000_000_000L);
    private static final LogLimiter BAD_FRAMES = new LogLimiter(org.slf4j.LoggerFactory.getLogger(ConnectionGuard.class),
            "connection closed: malformed frame", 10_000_000_000L);

    /**
     * Installs the guard on every accepted connection and hands each guard to the listener's {@code channels} (null:
     * none), which puts a {@link FnfReader} in front of it on TCP: the guard is made once the transport's frame decoder
     * is in the pipeline and before any frame is read, the moment the reader can start counting frames.
     */
    public static DuplexConnectionInterceptor interceptor(HygieneLimits limits, Runnable onRefusedSetup, ChannelDirectory channels) {
        return (type, connection) -> {
            if (type != DuplexConnectionInterceptor.Type.SOURCE) {
                return connection;
            }
            ConnectionGuard guard = new ConnectionGuard(connection, limits, onRefusedSetup);
            if (channels != null) {
                channels.guarded(guard);
            }
            return guard;
        };
    }

    private final DuplexConnection delegate;
    private final HygieneLimits limits;
    /** Bytes held by each stream's unfinished fragmented payload; event-loop confined. */
    private final Map<Integer, Long> reassembling = new HashMap<>();
    private long reassemblingBytes;
    private boolean setupSeen;
    private boolean closedByGuard;
    private long lastAnsweredKeepAliveNanos;
    /** Frames rsocket-java's transport has handed over so far (see {@link #framesReceived}). */
    private long framesReceived;
    private final long minKeepAliveNanos;

    private final Runnable onRefusedSetup;

    ConnectionGuard(DuplexConnection delegate, HygieneLimits limits, Runnable onRefusedSetup) {
        this.delegate = delegate;
        this.onRefusedSetup = onRefusedSetup;
        this.limits = limits;
        this.minKeepAliveNanos = limits.minKeepAliveMillis * 1_000_000L;
        this.lastAnsweredKeepAliveNanos = System.nanoTime() - minKeepAliveNanos;
    }

    @Override
    public Flux<ByteBuf> receive() {
        // the transport releases each received frame once its onNext returns, so a dropped frame needs nothing more
        return delegate.receive().handle((frame, sink) -> {
            framesReceived++;
            ByteBuf passed = inspect(frame);
            if (passed != null) {
                sink.next(passed);
            }
        });
    }

    /** The frame to hand to RSocket (possibly a rewritten copy), or null when it is dropped. */
    private ByteBuf inspect(ByteBuf frame) {
        if (closedByGuard) {
            return null;
        }
        String malformed = malformed(frame);
        if (malformed != null) {
            if (malformed.isEmpty()) {
                return null; // an unknown frame type the client marked as ignorable
            }
            closedByGuard = true;
            BAD_FRAMES.warn("{}: {}", delegate.remoteAddress(), malformed);
            delegate.sendErrorAndClose(new ConnectionErrorException("MALFORMED: " + malformed
                    + "; the connection is closed: send RSocket 1.0 frames (see proto/README.md)"));
            return null;
        }
        FrameType type = FrameHeaderCodec.nativeFrameType(frame);
        if (!setupSeen) {
            setupSeen = true;
            if (type == FrameType.SETUP) {
                return checkSetup(frame);
            }
            return frame;
        }
        switch (type) {
            case KEEPALIVE:
                return keepAlive(frame);
            case REQUEST_RESPONSE:
            case REQUEST_FNF:
            case REQUEST_STREAM:
            case REQUEST_CHANNEL:
            case PAYLOAD:
                return fragment(frame);
            case CANCEL:
            case ERROR:
                if (!reassembling.isEmpty()) {
                    release(FrameHeaderCodec.streamId(frame));
                }
                return frame;
            default:
                return frame;
        }
    }

    /**
     * What is structurally wrong with {@code frame} ("" for an unknown type with the ignore flag, to drop), or null
     * when RSocket can read it. RSocket itself fails on these deep in its frame handling, logs an ERROR with a stack
     * trace for each (one bad frame per connection made 500 stack traces from 500 connections) and sometimes keeps
     * the connection; checked here they cost one rate-limited line and close the connection cleanly. Reads only
     * the header and, with the metadata flag, the metadata length.
     */
    static String malformed(ByteBuf frame) {
        int length = frame.readableBytes();
        if (length < FrameHeaderCodec.size()) {
            return "a frame of " + length + " bytes is shorter than the 6-byte frame header";
        }
        int typeAndFlags = frame.getUnsignedShort(frame.readerIndex() + Integer.BYTES);
        int encodedType = typeAndFlags >>> 10;
        FrameType type;
        try {
            type = FrameType.fromEncodedType(encodedType);
            if (type == FrameType.RESERVED || type == FrameType.EXT) {
                throw new IllegalArgumentException("not served");
            }
        } catch (IllegalArgumentException unknown) {
            if ((typeAndFlags & FrameHeaderCodec.FLAGS_I) != 0) {
                return "";
            }
            return "unknown frame type 0x" + Integer.toHexString(encodedType) + " without the ignore flag";
        }
        int streamId = frame.getInt(frame.readerIndex()) & 0x7FFF_FFFF;
        if (streamId != 0 && (streamId & 1) == 0) {
            // RSocket gives even stream ids to the server's own requests; this server makes none, so rsocket-java would
            // fail on the frame deep in its requester ("non-existent stream") and log a stack trace per connection
            return "a " + type + " frame on stream " + streamId + ": a client's streams have odd ids, and this server "
                    + "starts no streams of its own";
        }
        if (type == FrameType.PAYLOAD && (typeAndFlags & (FrameHeaderCodec.FLAGS_N | FrameHeaderCodec.FLAGS_C)) == 0) {
            return "a PAYLOAD frame on stream " + streamId + " sets neither NEXT nor COMPLETE: set one or both";
        }
        int fixed;
        switch (type) {
            case REQUEST_STREAM:
            case REQUEST_CHANNEL:
            case REQUEST_N:
            case ERROR:
                fixed = Integer.BYTES;
                break;
            case KEEPALIVE:
                fixed = Long.BYTES;
                break;
            case LEASE:
                fixed = Integer.BYTES * 2;
                break;
            case SETUP:
                fixed = Integer.BYTES * 3;
                break;
            default:
                fixed = 0;
        }
        int body = FrameHeaderCodec.size() + fixed;
        if (length < body) {
            return "a " + type + " frame of " + length + " bytes is shorter than its " + body + " fixed bytes";
        }
        boolean lengthPrefixedMetadata = (typeAndFlags & FrameHeaderCodec.FLAGS_M) != 0 && (type == FrameType.REQUEST_RESPONSE
                || type == FrameType.REQUEST_FNF || type == FrameType.REQUEST_STREAM || type == FrameType.REQUEST_CHANNEL
                || type == FrameType.PAYLOAD);
        if (lengthPrefixedMetadata) {
            if (length < body + 3) {
                return "a " + type + " frame has the metadata flag but no room for the metadata length";
            }
            int metadataLength = frame.getUnsignedMedium(frame.readerIndex() + body);
            if (body + 3 + metadataLength > length) {
                return "a " + type + " frame says " + metadataLength + " bytes of metadata but only "
                        + (length - body - 3) + " follow";
            }
        }
        return null;
    }

    /**
     * Refuses a SETUP whose keep-alive interval is below the floor before RSocket reads it: RSocket starts the
     * server's own KEEPALIVE ticks at the client's interval as soon as it reads the SETUP, before the acceptor could
     * refuse it. Caps the max lifetime.
     */
    private ByteBuf checkSetup(ByteBuf setup) {
        int interval;
        int lifetime;
        try {
            interval = SetupFrameCodec.keepAliveInterval(setup);
            lifetime = SetupFrameCodec.keepAliveMaxLifetime(setup);
        } catch (RuntimeException malformed) {
            return setup; // RSocket refuses it
        }
        if (interval < limits.minKeepAliveMillis) {
            closedByGuard = true;
            onRefusedSetup.run();
            delegate.sendErrorAndClose(new RejectedSetupException("INVALID_REQUEST: the SETUP keep-alive interval is " + interval
                    + " ms, below the server's minimum of " + limits.minKeepAliveMillis + " ms (limits.min-keepalive-ms): "
                    + "use a keep-alive interval of at least " + limits.minKeepAliveMillis + " ms (20000 ms is usual)"));
            return null;
        }
        if (lifetime <= limits.maxKeepAliveLifetimeMillis) {
            return setup;
        }
        int at = FrameHeaderCodec.size() + Integer.BYTES * 2;
        if (!setup.isReadOnly()) {
            setup.setInt(setup.readerIndex() + at, limits.maxKeepAliveLifetimeMillis); // the frame's own bytes, read once
            return setup;
        }
        // a read-only buffer: a copy (once per connection), released with the connection since RSocket keeps a
        // reference to the SETUP for as long as it needs it and the transport releases only its own buffer
        ByteBuf copy = setup.copy();
        copy.setInt(copy.readerIndex() + at, limits.maxKeepAliveLifetimeMillis);
        delegate.onClose().doFinally(s -> copy.release()).subscribe(null, e -> { });
        return copy;
    }

    private ByteBuf keepAlive(ByteBuf frame) {
        if (!KeepAliveFrameCodec.respondFlag(frame)) {
            return frame;
        }
        long now = System.nanoTime();
        // half the floor: a client keeping exactly to the floor, with some jitter, is always answered
        if (now - lastAnsweredKeepAliveNanos < minKeepAliveNanos / 2) {
            return null;
        }
        lastAnsweredKeepAliveNanos = now;
        return frame;
    }

    private ByteBuf fragment(ByteBuf frame) {
        boolean follows = FrameHeaderCodec.hasFollows(frame);
        if (!follows && reassembling.isEmpty()) {
            return frame; // the usual case: a whole payload
        }
        int streamId = FrameHeaderCodec.streamId(frame);
        FrameType type = FrameHeaderCodec.nativeFrameType(frame);
        if (type != FrameType.PAYLOAD && reassembling.containsKey(streamId)) {
            // a new request on a stream whose fragmented request is unfinished: rsocket-java neither answers it nor
            // closes, so the client would wait for ever (found by ProtocolFuzzIT, seed 38680943470214)
            closedByGuard = true;
            String why = "a " + type + " frame on stream " + streamId + ", whose fragmented request is not finished";
            BAD_FRAMES.warn("{}: {}", delegate.remoteAddress(), why);
            delegate.sendErrorAndClose(new ConnectionErrorException("MALFORMED: " + why + "; send its remaining fragments"
                    + " as PAYLOAD frames on that stream and each new request on a new stream; the connection is closed"));
            return null;
        }
        if (!follows) {
            release(streamId); // the last fragment: RSocket hands the whole payload on and frees its parts
            return frame;
        }
        long bytes = frame.readableBytes();
        reassembling.merge(streamId, bytes, Long::sum);
        reassemblingBytes += bytes;
        if (reassemblingBytes > limits.maxReassemblyBytes) {
            long held = reassemblingBytes;
            int streams = reassembling.size();
            closedByGuard = true;
            reassembling.clear();
            reassemblingBytes = 0;
            CLOSED.warn("{}: {} bytes of unfinished fragmented payloads in {} streams (limits.max-reassembly-bytes = {})",
                    delegate.remoteAddress(), held, streams, limits.maxReassemblyBytes);
            delegate.sendErrorAndClose(new ConnectionErrorException("RESOURCE_EXHAUSTED: the connection's unfinished fragmented "
                    + "payloads would hold " + held + " bytes in " + streams + " streams, more than the limit of "
                    + limits.maxReassemblyBytes + " (limits.max-reassembly-bytes): finish each fragmented payload before "
                    + "starting many others, or send smaller payloads; the connection is closed"));
            return null;
        }
        return frame;
    }

    private void release(int streamId) {
        Long held = reassembling.remove(streamId);
        if (held != null) {
            reassemblingBytes -= held;
        }
    }

    /**
     * How many frames reached the guard, i.e. left the transport's receive queue; from here to the responder
     * rsocket-java hands a frame on synchronously. {@link FnfReader} compares it with the frames it let through to
     * know that none wait in that queue. Event-loop view.
     */
    long framesReceived() {
        return framesReceived;
    }

    /**
     * Whether a whole REQUEST_FNF arriving now would go straight to the responder: the guard has not closed the
     * connection (it drops every later frame) and no fragmented payload is being reassembled (the guard's budget
     * bookkeeping then looks at every request frame). Event-loop view.
     */
    boolean passesWholeRequests() {
        return !closedByGuard && reassembling.isEmpty();
    }

    /** Bytes of unfinished fragmented payloads right now (event-loop view; for tests and diagnostics). */
    long reassemblingBytes() {
        return reassemblingBytes;
    }

    @Override
    public void sendFrame(int streamId, ByteBuf frame) {
        delegate.sendFrame(streamId, frame);
    }

    @Override
    public void sendErrorAndClose(RSocketErrorException e) {
        delegate.sendErrorAndClose(e);
    }

    @Override
    public ByteBufAllocator alloc() {
        return delegate.alloc();
    }

    @Override
    public SocketAddress remoteAddress() {
        return delegate.remoteAddress();
    }

    @Override
    public Mono<Void> onClose() {
        return delegate.onClose();
    }

    @Override
    public void dispose() {
        delegate.dispose();
    }

    @Override
    public boolean isDisposed() {
        return delegate.isDisposed();
    }

    @Override
    public double availability() {
        return delegate.availability();
    }
}
