package io.treecast.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.rsocket.Payload;
import io.rsocket.util.ByteBufPayload;
import io.rsocket.util.DefaultPayload;
import io.treecast.client.internal.ClientConnection;
import io.treecast.client.internal.Codec;
import io.treecast.client.internal.EventReadAhead;
import io.treecast.client.internal.FnfWriter;
import io.treecast.proto.Get;
import io.treecast.proto.ListChildren;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The reactive flavour of {@link TreecastClient}: every call is lazy (nothing is sent until subscribed) and
 * fails with a {@link TreecastClientException}.
 *
 * <pre>{@code
 * ReactiveTreecastClient rx = client.reactive();
 * rx.update(ChangeBatch.of(b -> b.set("fx/EURUSD/bid", 1.0842)), AckMode.APPLIED).subscribe(seq -> ...);
 * rx.subscribe(SubscribeSpec.pattern("fx/**").snapshot()).limitRate(256).subscribe(event -> ...);
 * rx.ingest(Flux.range(0, 1000).map(i -> ChangeBatch.of(b -> b.set("n/" + i, i)))).subscribe(ack -> ...);
 * rx.children("markets").subscribe(page -> ...);            // one level of the tree, a page at a time
 * }</pre>
 *
 * Subscriber demand is forwarded to the server as RSocket request-n: one for one with
 * {@code eventsPerFrame(1)}; otherwise as frames (of up to {@link SubscribeSpec#eventsPerFrame()} events), read
 * ahead within {@link ClientOptions#readAheadFrames(int)} and {@link ClientOptions#readAheadBytes(int)}.
 */
public final class ReactiveTreecastClient {
    private static final ByteBuf UPDATE_METADATA = shared(ClientConnection.routeMetadata(ClientConnection.UPDATE));
    private static final ByteBuf PUBLISH_METADATA = shared(ClientConnection.routeMetadata(ClientConnection.PUBLISH));
    private static final ByteBuf INGEST_METADATA = shared(ClientConnection.routeMetadata(ClientConnection.INGEST));
    /** The same route as an array, for the direct path's frames (a plain copy). */
    private static final byte[] PUBLISH_ROUTE = ClientConnection.routeMetadata(ClientConnection.PUBLISH);
    private static final byte[] SUBSCRIBE = ClientConnection.routeMetadata(ClientConnection.SUBSCRIBE);
    private static final byte[] GET = ClientConnection.routeMetadata(ClientConnection.GET);
    private static final byte[] CHILDREN = ClientConnection.routeMetadata(ClientConnection.CHILDREN);

    private final ClientConnection connection;

    /** A read-only buffer that ignores release: every request duplicates it instead of copying the route. */
    private static ByteBuf shared(byte[] metadata) {
        return Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(metadata).asReadOnly());
    }

    ReactiveTreecastClient(ClientConnection connection) {
        this.connection = connection;
    }

    /** Applies {@code batch} atomically; emits its seq. */
    public Mono<Long> update(ChangeBatch batch, AckMode ack) {
        return connection.rsocket()
                .flatMap(r -> r.requestResponse(payload(batch, ack, UPDATE_METADATA)))
                .map(Codec::ackSeq)
                .onErrorMap(ClientConnection::map);
    }

    /**
     * Sends {@code batch} without waiting for an answer (errors are not reported back): completes once the frame is
     * queued for the connection's event loop; fails with CLOSED after {@code close()}, CONNECTION when it cannot
     * connect, OVERLOADED when the connection's publish buffer is at its bound ({@link
     * io.treecast.client.ClientOptions#publishBufferBytes(int)}; nothing was sent: retry later). On TCP the batch is encoded straight into one pooled buffer that is the whole RSocket frame (see
     * {@link TreecastClient#publish(ChangeBatch)}).
     */
    public Mono<Void> publish(ChangeBatch batch) {
        return new PublishMono(this, batch);
    }

    /** {@link #publish}'s Mono: sends at subscription, without an operator chain when the connection is open. */
    private static final class PublishMono extends Mono<Void> {
        private final ReactiveTreecastClient client;
        private final ChangeBatch batch;

        PublishMono(ReactiveTreecastClient client, ChangeBatch batch) {
            this.client = client;
            this.batch = batch;
        }

        @Override
        public void subscribe(reactor.core.CoreSubscriber<? super Void> actual) {
            ClientConnection.Live live = client.connection.openLiveOrNull();
            if (live != null) {
                try {
                    send(live, batch);
                } catch (RuntimeException e) {
                    reactor.core.publisher.Operators.error(actual, ClientConnection.map(e));
                    return;
                }
                reactor.core.publisher.Operators.complete(actual);
                return;
            }
            client.connection.live()
                    .flatMap(l -> l.writer() != null ? Mono.<Void>fromRunnable(() -> send(l, batch))
                            : l.rsocket().fireAndForget(payload(batch, AckMode.APPLIED, PUBLISH_METADATA)))
                    .onErrorMap(ClientConnection::map)
                    .then()
                    .subscribe(actual);
        }
    }

    /**
     * Sends {@code batch} now when the connection is open, without building a Reactor chain: the frame is queued
     * for the connection's event loop and this returns (the throughput path of {@link TreecastClient#publish}).
     * Returns false, having sent nothing, when there is no open connection (then use {@link #publish}).
     */
    boolean publishNow(ChangeBatch batch, reactor.core.CoreSubscriber<Void> errors) {
        ClientConnection.Live live = connection.openLiveOrNull();
        if (live == null) {
            return false;
        }
        FnfWriter writer = live.writer();
        if (writer != null) {
            sendDirect(writer, batch, connection.options().requestTimeout().toNanos());
        } else {
            live.rsocket().fireAndForget(payload(batch, AckMode.APPLIED, PUBLISH_METADATA)).subscribe(errors);
        }
        return true;
    }

    /** One publish on an open connection: straight to its writer when it has one, else through rsocket-java. */
    private static void send(ClientConnection.Live live, ChangeBatch batch) {
        FnfWriter writer = live.writer();
        if (writer != null) {
            sendDirect(writer, batch, 0); // a Mono must not block: a full publish buffer fails it at once
        } else {
            live.rsocket().fireAndForget(payload(batch, AckMode.APPLIED, PUBLISH_METADATA)).subscribe(IGNORE_ERRORS);
        }
    }

    /**
     * The batch encoded into one pooled buffer that is already the whole REQUEST_FNF frame, queued for the event loop,
     * once the connection's publish buffer has room (waiting up to {@code waitNanos}, else OVERLOADED).
     */
    private static void sendDirect(FnfWriter writer, ChangeBatch batch, long waitNanos) {
        writer.awaitRoom(waitNanos);
        int dataBytes = batch.encodedSize(AckMode.APPLIED);
        ByteBuf frame = writer.allocate(PUBLISH_ROUTE, dataBytes);
        try {
            batch.writeTo(frame, AckMode.APPLIED);
        } catch (RuntimeException e) {
            frame.release();
            throw e;
        }
        writer.send(frame);
    }

    /**
     * Fire-and-forget has no answer; a failure to send (connection lost) shows in the next call that has one. Stateless,
     * so one instance serves every publish (the blocking client's too).
     */
    static final reactor.core.CoreSubscriber<Void> IGNORE_ERRORS = new reactor.core.CoreSubscriber<Void>() {
        @Override
        public void onSubscribe(org.reactivestreams.Subscription s) {
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(Void v) {
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public void onComplete() {
        }
    };

    /** One request payload: the batch encoded into a pooled buffer, the route's metadata shared (never released). */
    private static Payload payload(ChangeBatch batch, AckMode ack, ByteBuf routeMetadata) {
        return ByteBufPayload.create(batch.encode(ByteBufAllocator.DEFAULT, ack), routeMetadata.duplicate());
    }

    /**
     * A stream of batches, one {@link IngestAck} per batch in order; a refused batch gets an error ack and the
     * stream goes on. Back-pressure: batches are requested from {@code batches} as the server asks for them.
     */
    public Flux<IngestAck> ingest(Publisher<ChangeBatch> batches) {
        return connection.rsocket()
                .flatMapMany(r -> {
                    AtomicBoolean first = new AtomicBoolean(true);
                    Flux<Payload> payloads = Flux.from(batches).map(b -> first.getAndSet(false)
                            ? payload(b, AckMode.APPLIED, INGEST_METADATA)
                            : ByteBufPayload.create(b.encode(ByteBufAllocator.DEFAULT, AckMode.APPLIED)));
                    return r.requestChannel(payloads);
                })
                .map(Codec::ingestAck)
                .onErrorMap(ClientConnection::map);
    }

    /** The leaves matching {@code pattern}, exact at one seq. */
    public Mono<Snapshot> get(String pattern) {
        return connection.rsocket()
                .flatMap(r -> r.requestResponse(DefaultPayload.create(Get.newBuilder().setPattern(pattern).build().toByteArray(), GET)))
                .map(Codec::snapshot)
                .onErrorMap(ClientConnection::map);
    }

    /** The first page (up to 1000) of the direct children of the node at {@code path} ({@code ""} = the root). */
    public Mono<Children> children(String path) {
        return children(path, 0, "");
    }

    /**
     * A page of the direct children of the node at {@code path} ({@code ""} = the root), sorted by name: at most
     * {@code limit} (1..10000; 0 = the server's default, 1000) of those whose name sorts after {@code after}
     * ({@code ""} = from the first). A leaf or a missing node has none. Fails with INVALID_PATH, INVALID_REQUEST
     * (limit over 10000), FORBIDDEN (the access rules let the principal read nothing below {@code path}) or
     * OVERLOADED (the server is preparing too many listings: retry shortly).
     *
     * <pre>{@code
     * rx.children("markets", 100, "").subscribe(page -> page.children().forEach(c -> System.out.println(c.name())));
     * }</pre>
     *
     * @throws IllegalArgumentException when {@code limit} is negative
     */
    public Mono<Children> children(String path, int limit, String after) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit " + limit + " is negative: ask for 1..10000 children (0 = the server's default, 1000)");
        }
        byte[] request = ListChildren.newBuilder().setPath(path == null ? "" : path).setLimit(limit)
                .setAfter(after == null ? "" : after).build().toByteArray();
        return connection.rsocket()
                .flatMap(r -> r.requestResponse(DefaultPayload.create(request, CHILDREN)))
                .map(Codec::children)
                .onErrorMap(ClientConnection::map);
    }

    /**
     * The events of a subscription. The stream ends with an error on SLOW_CONSUMER (STRICT; see
     * {@link TreecastClientException#lastSeq()}), SHUTTING_DOWN or a lost connection; cancel to unsubscribe.
     */
    public Flux<TreeEvent> subscribe(SubscribeSpec spec) {
        Flux<Payload> frames = connection.rsocket()
                .flatMapMany(r -> r.requestStream(DefaultPayload.create(spec.toProto().toByteArray(), SUBSCRIBE)));
        if (spec.eventsPerFrame() <= 1) {
            return frames.map(Codec::event).onErrorMap(ClientConnection::map);
        }
        // request-n counts frames of up to eventsPerFrame events: ask for frames ahead within the client options
        // bounds, hand out events. An error ends the stream at once, dropping what was read ahead, so SLOW_CONSUMER's
        // last seq is set back to the last event the application received: resuming after it then skips nothing.
        ClientOptions options = connection.options();
        return new EventReadAhead(frames, options.readAheadFrames(), options.readAheadBytes(),
                spec.resumeAfterSeq() >= 0 ? spec.resumeAfterSeq() : 0,
                (error, lastSeen) -> lastSeqSeen(ClientConnection.map(error), lastSeen));
    }

    /** SLOW_CONSUMER whose last seq is ahead of what the application received: the same, with that seq. */
    private static TreecastClientException lastSeqSeen(TreecastClientException e, long seen) {
        if (e.code() != TreecastClientException.Code.SLOW_CONSUMER || e.lastSeq() <= seen) {
            return e;
        }
        return new TreecastClientException(e.code(), e.reason() + "; events after seq " + seen
                + " were read ahead but not handed to the application, so resume after that: last seq " + seen, e);
    }
}
