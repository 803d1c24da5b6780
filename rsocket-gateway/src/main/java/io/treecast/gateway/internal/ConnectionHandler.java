package io.treecast.gateway.internal;

import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ReferenceCounted;
import io.rsocket.Payload;
import io.rsocket.RSocket;
import io.rsocket.exceptions.ApplicationErrorException;
import io.rsocket.util.ByteBufPayload;
import io.treecast.fastpath.AckListener;
import io.treecast.fastpath.Engine;
import io.treecast.fastpath.EventHandler;
import io.treecast.gateway.internal.security.Access;
import io.treecast.gateway.internal.security.Identity;
import io.treecast.gateway.internal.security.ReadFilter;
import io.treecast.gateway.internal.security.SecurityPolicy;
import io.treecast.fastpath.ErrorCode;
import io.treecast.fastpath.OfferResult;
import io.treecast.fastpath.PathPattern;
import io.treecast.fastpath.SubscribeOptions;
import io.treecast.fastpath.Subscription;
import io.treecast.fastpath.TreecastException;
import io.treecast.proto.Ack;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The responder of one connection: routes each request, validates it once and hands it to the engine. Runs on
 * the connection's Netty event loop and never blocks it; engine answers arrive on engine threads and are handed
 * back through Reactor sinks.
 */
public final class ConnectionHandler implements RSocket {
    private final Gateway gateway;
    private final Engine engine;
    private final AtomicInteger subscriptions = new AtomicInteger();
    /** tree.get requests whose answer is not yet handed to RSocket. */
    private final AtomicInteger pendingGets = new AtomicInteger();
    static final int MAX_PENDING_GETS = 1;
    /** tree.children listings of this connection being computed; each costs O(children of its node). */
    private final AtomicInteger pendingListings = new AtomicInteger();
    static final int MAX_PENDING_LISTINGS = 4;

    /** Writes this connection's subscription frames directly; null when the channel was not found (then rsocket-java sends them). */
    private final FrameWriter writer;
    /**
     * Publishes that came through rsocket-java and met a full inbound queue, held in line; created at the first
     * (on the event loop; read elsewhere only to see whether any are held).
     */
    private volatile HeldPublishes held;
    /** The connection's reader of publishes off the wire, which can hold one the engine's full queue refused; or null. */
    private volatile FnfReader directReader;
    /** Who this connection is. */
    final Identity identity;
    /**
     * What it may read and write; null = everything (no rules: no check at all, not even per request). Volatile:
     * replaced when the rules file is reloaded.
     */
    private volatile Access access;
    /** This connection's subscriptions and the read filter each got, to check them again when the rules change. */
    private final java.util.Map<DirectStream, Tracked> streams = new java.util.concurrent.ConcurrentHashMap<>();

    ConnectionHandler(Gateway gateway, FrameWriter writerOrNull) {
        this(gateway, writerOrNull, new Identity(Identity.ANONYMOUS, "none", 0, null), null);
    }

    ConnectionHandler(Gateway gateway, FrameWriter writerOrNull, Identity identity, Access accessOrNull) {
        this.gateway = gateway;
        this.engine = gateway.engine;
        this.writer = writerOrNull;
        this.identity = identity;
        this.access = accessOrNull;
    }

    /**
     * The connection's SETUP was accepted and {@code outermost} (this handler, within the responder interceptors) is
     * what rsocket-java will call: from now on the connection's {@link FnfReader}, if it has one, hands it the
     * publishes it reads off the wire itself.
     */
    void acceptDirectPublishes(RSocket outermost) {
        if (writer != null) {
            FnfReader reader = FnfReader.of(writer.channel());
            if (reader != null) {
                directReader = reader;
                reader.arm(outermost, gateway, writer.channel());
            }
        }
    }

    /** A subscription's pattern and the filter it was given (null: none). */
    private static final class Tracked {
        final PathPattern pattern;
        final ReadFilter filter;

        Tracked(PathPattern pattern, ReadFilter filter) {
            this.pattern = pattern;
            this.filter = filter;
        }
    }

    /**
     * The rules changed (file reloaded): takes the principal's new rules for later requests, and ends with
     * FORBIDDEN every subscription they no longer allow or would filter differently (the client resubscribes,
     * resuming after its last seq, and gets what the new rules allow). A subscription the new rules let see everything
     * it asked for keeps going. Runs on the reload thread.
     */
    void rulesChanged(SecurityPolicy policy) {
        Access now;
        try {
            now = policy.accessFor(identity);
        } catch (TreecastException e) {
            now = Access.compile(identity.principal, java.util.List.of(), java.util.List.of(), java.util.List.of(), java.util.List.of());
        }
        if (java.util.Objects.equals(now, access)) {
            return;
        }
        access = now;
        for (java.util.Map.Entry<DirectStream, Tracked> e : streams.entrySet()) {
            Tracked t = e.getValue();
            ReadFilter f;
            try {
                f = now == null ? Access.ALL : now.readScope(t.pattern, "subscription to");
            } catch (TreecastException lost) {
                streams.remove(e.getKey());
                e.getKey().revoke(ErrorCode.FORBIDDEN, lost.getMessage() + " (the access rules changed while it was open)");
                continue;
            }
            if (f != Access.ALL && !f.equals(t.filter)) {
                streams.remove(e.getKey());
                e.getKey().revoke(ErrorCode.FORBIDDEN, "subscription to '" + t.pattern + "': the access rules of principal '"
                        + identity.principal + "' changed while it was open and now let it see less: resubscribe (resume_after your last seq)"
                        + " to go on with the rights in force now");
            }
        }
    }

    /** Ends the connection with a CONNECTION_ERROR carrying {@code code}: its credential expired or was withdrawn. */
    void endConnection(ErrorCode code, String message) {
        if (writer != null) {
            writer.closeWithError(code.name() + ": " + message);
        } else {
            for (DirectStream s : streams.keySet()) {
                s.revoke(code, message);
            }
        }
    }

    @Override
    public Mono<Void> fireAndForget(Payload payload) {
        try {
            checkSize(payload);
            String route = Routing.route(payload.metadata());
            if (!Routing.PUBLISH.equals(route)) {
                gateway.rejected.incrementAndGet();
                return Mono.error(misrouted(route, "fire-and-forget"));
            }
            gateway.stats.request(io.treecast.gateway.GatewayStats.Route.PUBLISH);
            io.treecast.fastpath.Batch batch = gateway.decoder.publish(payload.data());
            gateway.stats.changes(io.treecast.gateway.GatewayStats.Route.PUBLISH, batch.size());
            checkWrite(batch);
            io.treecast.gateway.Upstream core = gateway.upstream;
            if (core != null) {
                Payload copy = copyOf(payload, Routing.PUBLISH);
                core.connect().flatMap(r -> r.fireAndForget(copy))
                        .subscribe(null, e -> gateway.rejected.incrementAndGet());
                return Mono.empty();
            }
            HeldPublishes line = held;
            if (line != null && line.any()) {
                if (!line.hold(batch)) {
                    gateway.rejected.incrementAndGet(); // the line is at its bound: refused, as a full queue did before
                }
                return Mono.empty(); // behind the publishes already waiting, never before them
            }
            OfferResult r = engine.offer(batch);
            if (r == OfferResult.BACK_PRESSURED) {
                FnfReader reader = directReader;
                if (reader != null && reader.hold(batch)) {
                    return Mono.empty(); // read off the wire: the connection pauses until the engine takes it
                }
                if (writer != null && heldPublishes().hold(batch)) {
                    return Mono.empty(); // through rsocket-java (WebSocket, fragmented): held in line, reading paused
                }
            }
            if (r != OfferResult.ACCEPTED) {
                gateway.rejected.incrementAndGet();
            }
            return Mono.empty();
        } catch (RuntimeException e) {
            // fire-and-forget has no answer: count it (the metrics show it) and keep the connection
            gateway.rejected.incrementAndGet();
            return Mono.empty();
        } finally {
            payload.release();
        }
    }

    @Override
    public Mono<Payload> requestResponse(Payload payload) {
        try {
            checkSize(payload);
            String route = Routing.route(payload.metadata());
            if (Routing.UPDATE.equals(route)) {
                gateway.stats.request(io.treecast.gateway.GatewayStats.Route.UPDATE);
                RequestDecoder.DecodedBatch b = gateway.decoder.batch(payload.data());
                gateway.stats.changes(io.treecast.gateway.GatewayStats.Route.UPDATE, b.batch.size());
                checkWrite(b.batch);
                if (gateway.upstream != null) {
                    return forward(copyOf(payload, Routing.UPDATE));
                }
                Mono<Long> seq = offer(b.batch, b.ack);
                if (b.ack == io.treecast.fastpath.AckMode.DURABLE) {
                    // the batch is applied either way; the client must learn that durability is not confirmed
                    seq = seq.timeout(gateway.durableAckTimeout, Mono.error(() -> Errors.application(ErrorCode.TIMEOUT,
                            "the batch was applied but Kafka did not confirm it within " + gateway.durableAckTimeout.toMillis()
                            + " ms (durability.ack-timeout-ms): it may still become durable; the server may be degraded")));
                }
                return seq.map(s -> ByteBufPayload.create(WireEncoder.ack(ByteBufAllocator.DEFAULT, s)));
            }
            if (Routing.GET.equals(route)) {
                gateway.stats.request(io.treecast.gateway.GatewayStats.Route.GET);
                PathPattern pattern = gateway.decoder.get(payload.data());
                Access a = access;
                ReadFilter filter = a == null ? Access.ALL : a.readScope(pattern, "get");
                refuseGetWhileAnswersWait();
                // the slots are freed once the answer is encoded, before RSocket sends it (from then on the send
                // backlog budget counts it): freed after the send, a client's next get could arrive first and be
                // refused although its previous answer had already reached it
                java.util.concurrent.atomic.AtomicBoolean freed = new java.util.concurrent.atomic.AtomicBoolean();
                Runnable free = () -> {
                    if (freed.compareAndSet(false, true)) {
                        pendingGets.decrementAndGet();
                        gateway.getsInFlight.decrementAndGet();
                    }
                };
                return Mono.fromFuture(() -> engine.get(pattern))
                        .map(s -> {
                            Payload answer = ByteBufPayload.create(WireEncoder.snapshot(ByteBufAllocator.DEFAULT, filter == Access.ALL ? s : filtered(s, filter)));
                            free.run();
                            return answer;
                        })
                        .onErrorMap(Errors::application)
                        .doFinally(signal -> free.run()); // an error or a cancel
            }
            if (Routing.CHILDREN.equals(route)) {
                gateway.stats.request(io.treecast.gateway.GatewayStats.Route.CHILDREN);
                RequestDecoder.ChildrenRequest r = gateway.decoder.children(payload.data());
                Access a = access;
                if (a != null) {
                    // the node itself must hold something this principal may read (else FORBIDDEN, as for a get)
                    a.readScope(PathPattern.parse(r.pathOrNull() == null ? "**" : r.pathOrNull() + "/**"), "tree.children of");
                }
                refuseListingWhileBusy();
                return listing(r, a);
            }
            return Mono.error(misrouted(route, "request-response"));
        } catch (RuntimeException e) {
            return Mono.error(Errors.application(e));
        } finally {
            payload.release();
        }
    }

    @Override
    public Flux<Payload> requestStream(Payload payload) {
        SubscribeOptions options;
        try {
            checkSize(payload);
            String route = Routing.route(payload.metadata());
            if (!Routing.SUBSCRIBE.equals(route)) {
                return Flux.error(misrouted(route, "request-stream"));
            }
            gateway.stats.request(io.treecast.gateway.GatewayStats.Route.SUBSCRIBE);
            // delivered on this connection's event loop when the engine delivers on loops (engine.deliver-on)
            SubscribeOptions decoded = gateway.decoder.subscribe(payload.data());
            options = writer == null ? decoded : decoded.withDispatchOn(writer.channel().eventLoop());
        } catch (RuntimeException e) {
            return Flux.error(Errors.application(e));
        } finally {
            payload.release();
        }
        Access a = access;
        ReadFilter filter;
        try {
            // decided once, here: inside the rules -> no filter and no cost per event; wider -> a filter; outside -> refused
            filter = a == null ? Access.ALL : a.readScope(options.pattern(), "subscription to");
        } catch (TreecastException e) {
            gateway.stats.error(e.code());
            return Flux.error(Errors.application(e));
        }
        AtomicBoolean counted = new AtomicBoolean();
        DirectStream[] self = new DirectStream[1];
        DirectStream stream = new DirectStream(writer, options.eventsPerDelivery() > 1, gateway.stats, () -> {
            if (self[0] != null) {
                streams.remove(self[0]);
            }
            if (counted.compareAndSet(true, false)) {
                subscriptions.decrementAndGet();
                gateway.activeStreams.decrementAndGet();
            }
        }, direct -> {
            EventHandler handler = filter == Access.ALL ? direct : new FilteringHandler((DirectStream) direct, filter);

            int max = gateway.maxSubscriptionsPerConnection;
            if (subscriptions.incrementAndGet() > max) {
                subscriptions.decrementAndGet();
                throw new TreecastException(ErrorCode.TOO_MANY_SUBSCRIPTIONS, "this connection already has " + max
                        + " subscriptions (limits.max-subscriptions-per-connection): cancel one, widen a pattern, or open another connection");
            }
            Subscription subscription;
            try {
                // on an edge, a resume from a seq this edge has not applied yet (the client came from a faster
                // edge) waits for it instead of getting RESET
                subscription = gateway.upstream != null && options.resumeAfter() > engine.currentSeq()
                        ? new DeferredSubscription(engine, options, handler, gateway.resumeWait)
                        : engine.subscribe(options, handler);
            } catch (RuntimeException e) {
                subscriptions.decrementAndGet();
                throw e;
            }
            counted.set(true);
            if (gateway.tracksStreams()) {
                streams.put((DirectStream) direct, new Tracked(options.pattern(), filter));
            }
            gateway.activeStreams.incrementAndGet();
            gateway.stats.subscribed(options.policy());
            return subscription;
        });
        self[0] = stream;
        return stream;
    }

    /** Refuses the whole batch when the principal may not write one of its changes; free without rules. */
    private void checkWrite(io.treecast.fastpath.Batch batch) {
        Access a = access;
        if (a != null && !a.writesEverything()) {
            a.checkWrite(batch);
        }
    }

    /**
     * The children this principal may know of: a leaf it may read, a node with something below it that it may read.
     * A name is a fact about the tree, so a child under a denied subtree is left out like a leaf the rules hide.
     */
    private static io.treecast.fastpath.ChildListing listable(io.treecast.fastpath.ChildListing l,
                                                              io.treecast.fastpath.TreePath parentOrNull, Access a) {
        java.util.List<io.treecast.fastpath.ChildListing.Child> kept = new java.util.ArrayList<>();
        for (io.treecast.fastpath.ChildListing.Child c : l.children()) {
            io.treecast.fastpath.TreePath path = parentOrNull == null ? io.treecast.fastpath.TreePath.of(c.name())
                    : io.treecast.fastpath.TreePath.parse(parentOrNull + "/" + c.name());
            if (c.leaf() ? a.mayRead(path) : readsSomethingBelow(a, path)) {
                kept.add(c);
            }
        }
        return new io.treecast.fastpath.ChildListing(l.seq(), kept, l.more());
    }

    private static boolean readsSomethingBelow(Access a, io.treecast.fastpath.TreePath node) {
        try {
            a.readScope(PathPattern.parse(node + "/**"), "tree.children of");
            return true;
        } catch (TreecastException forbidden) {
            return false;
        }
    }

    private static io.treecast.fastpath.TreeSnapshot filtered(io.treecast.fastpath.TreeSnapshot s, ReadFilter filter) {
        java.util.List<io.treecast.fastpath.Leaf> kept = new java.util.ArrayList<>();
        for (io.treecast.fastpath.Leaf leaf : s.leaves()) {
            if (filter.visible(leaf.path())) {
                kept.add(leaf);
            }
        }
        return new io.treecast.fastpath.TreeSnapshot(s.seq(), kept);
    }

    @Override
    public Flux<Payload> requestChannel(Publisher<Payload> payloads) {
        IngestStream stream = new IngestStream();
        return Flux.from(payloads)
                .flatMapSequential(stream::onBatch, 256, 1)
                .doOnDiscard(ReferenceCounted.class, ConnectionHandler::releaseQuietly);
    }

    @Override
    public Mono<Void> metadataPush(Payload payload) {
        payload.release();
        return Mono.error(Errors.application(ErrorCode.WRONG_INTERACTION, "metadata-push is not used by Treecast: "
                + "send requests with the routes " + Routing.ROUTES));
    }

    /** Routes of one request-channel: the first payload names the route, every payload is a Batch. */
    private final class IngestStream {
        private boolean first = true;

        Mono<Payload> onBatch(Payload payload) {
            try {
                checkSize(payload);
                if (first) {
                    first = false;
                    String route = Routing.route(payload.metadata());
                    if (!Routing.INGEST.equals(route)) {
                        // ends the channel: there is nothing sensible to route the rest of it to
                        return Mono.error(misrouted(route, "request-channel"));
                    }
                }
                gateway.stats.request(io.treecast.gateway.GatewayStats.Route.INGEST);
                RequestDecoder.DecodedBatch b = gateway.decoder.batch(payload.data());
                gateway.stats.changes(io.treecast.gateway.GatewayStats.Route.INGEST, b.batch.size());
                checkWrite(b.batch);
                if (gateway.upstream != null) {
                    // each batch goes to the core as a tree.update (ack APPLIED, as ingest's): the core's answers
                    // come back in this channel's order, and are applied in it (one upstream connection, in order)
                    return forward(copyOf(payload, Routing.UPDATE))
                            .onErrorResume(e -> Mono.just(errorAck(Errors.application(e).getMessage())));
                }
                return offer(b.batch, io.treecast.fastpath.AckMode.APPLIED)
                        .map(seq -> ByteBufPayload.create(WireEncoder.ack(ByteBufAllocator.DEFAULT, seq)))
                        .onErrorResume(e -> Mono.just(errorAck(Errors.application(e).getMessage())));
            } catch (TreecastException e) {
                // a bad batch is refused on its own Ack; the stream goes on
                return Mono.just(errorAck(e.code(), e.getMessage()));
            } catch (RuntimeException e) {
                return Mono.just(errorAck(Errors.application(e).getMessage()));
            } finally {
                payload.release();
            }
        }
    }

    /**
     * A tree.get answer can be large (a whole subtree, first on the heap, then encoded) and is held by the server
     * until the client reads it; so a connection gets no new answer while one of its own is being prepared or while
     * its send backlog is over limits.max-send-queue-bytes, and the server prepares at most limits.max-gets-in-flight
     * at a time (a client that asks and never reads holds about one answer more than the budget, not one per
     * request; twenty pipelined gets on a big tree no longer fill the heap).
     */
    private void refuseGetWhileAnswersWait() {
        refuseWhileSendBacklogOverBudget();
        if (pendingGets.incrementAndGet() > MAX_PENDING_GETS) {
            pendingGets.decrementAndGet();
            throw new TreecastException(ErrorCode.OVERLOADED, "this connection already has a tree.get answer being prepared: "
                    + "wait for it before asking again (answers are whole subtrees, held in memory until sent)");
        }
        if (gateway.getsInFlight.incrementAndGet() > gateway.maxGetsInFlight) {
            gateway.getsInFlight.decrementAndGet();
            pendingGets.decrementAndGet();
            throw new TreecastException(ErrorCode.OVERLOADED, "the server is already preparing " + gateway.maxGetsInFlight
                    + " tree.get answers (limits.max-gets-in-flight): retry shortly, or subscribe with a snapshot instead");
        }
    }

    /** An answer would only wait behind what the client has not read: refuses the request while that is over budget. */
    private void refuseWhileSendBacklogOverBudget() {
        if (writer != null && !writer.ready()) {
            throw new TreecastException(ErrorCode.OVERLOADED, "this connection has " + writer.backlogBytes()
                    + " bytes of answers and events not yet read, more than limits.max-send-queue-bytes ("
                    + writer.budgetBytes() + "): read what was sent before asking again");
        }
    }

    /**
     * A tree.children listing walks every child of its node (O(children), whatever its limit) on Reactor's
     * bounded-elastic pool, whose queue is shared by the whole JVM; so, as for tree.get, a connection gets no new
     * listing while its send backlog is over limits.max-send-queue-bytes or it already has
     * {@link #MAX_PENDING_LISTINGS} being prepared, and the server prepares at most limits.max-listings-in-flight at a
     * time (4 per connection alone allowed 4 x limits.max-connections queued walks). Listings have their own budget,
     * not tree.get's: a listing is small (at most 10,000 names) and the web console sends one per node a user opens,
     * while a get holds a whole subtree for seconds; sharing 2 slots would make either refuse the other.
     */
    private void refuseListingWhileBusy() {
        refuseWhileSendBacklogOverBudget();
        if (pendingListings.incrementAndGet() > MAX_PENDING_LISTINGS) {
            pendingListings.decrementAndGet();
            throw new TreecastException(ErrorCode.OVERLOADED, "this connection already has " + MAX_PENDING_LISTINGS
                    + " tree.children listings being prepared: wait for one before asking again");
        }
        if (gateway.listingsInFlight.incrementAndGet() > gateway.maxListingsInFlight) {
            gateway.listingsInFlight.decrementAndGet();
            pendingListings.decrementAndGet();
            throw new TreecastException(ErrorCode.OVERLOADED, "the server is already preparing " + gateway.maxListingsInFlight
                    + " tree.children listings (limits.max-listings-in-flight): retry shortly");
        }
    }

    /**
     * The listing, off the event loop, holding the slots {@link #refuseListingWhileBusy} took until its walk has
     * ended: a cancel while it runs does not give them back early (request-and-cancel in a loop would otherwise
     * queue walks without bound); one cancelled before it started gives them back at once.
     */
    private Mono<Payload> listing(RequestDecoder.ChildrenRequest r, Access a) {
        AtomicInteger state = new AtomicInteger(); // 0 waiting for a worker, 1 walking, 2 slots given back
        Runnable release = () -> {
            pendingListings.decrementAndGet();
            gateway.listingsInFlight.decrementAndGet();
        };
        return Mono.fromCallable(() -> {
                    if (!state.compareAndSet(0, 1)) {
                        return null; // cancelled before it started: nothing to answer
                    }
                    try {
                        io.treecast.fastpath.ChildListing l = engine.children(r.pathOrNull(), r.after(), r.limit());
                        return WireEncoder.children(a == null ? l : listable(l, r.pathOrNull(), a));
                    } finally {
                        state.set(2);
                        release.run();
                    }
                })
                .subscribeOn(reactor.core.scheduler.Schedulers.boundedElastic())
                .map(bytes -> (Payload) ByteBufPayload.create(bytes))
                .onErrorMap(Errors::application)
                .doFinally(signal -> {
                    if (state.compareAndSet(0, 2)) {
                        release.run(); // never started: cancelled, or refused by the scheduler
                    }
                });
    }

    /** limits.max-frame-bytes, when it is below what RSocket itself enforces (see TreecastServer). */
    private void checkSize(Payload payload) {
        int bytes = payload.data().readableBytes() + (payload.hasMetadata() ? payload.metadata().readableBytes() : 0);
        if (bytes > gateway.maxPayloadBytes) {
            throw new TreecastException(ErrorCode.INVALID_REQUEST, "the request is " + bytes + " bytes, more than the limit of "
                    + gateway.maxPayloadBytes + " (limits.max-frame-bytes): send smaller requests");
        }
    }

    private static Payload errorAck(ErrorCode code, String message) {
        return ByteBufPayload.create(Ack.newBuilder()
                .setError(io.treecast.proto.Error.newBuilder().setCode(code.name()).setMessage(message)).build().toByteArray());
    }

    private static Payload errorAck(String codeAndMessage) {
        int colon = codeAndMessage.indexOf(": ");
        ErrorCode code = ErrorCode.INTERNAL;
        String message = codeAndMessage;
        if (colon > 0) {
            try {
                code = ErrorCode.valueOf(codeAndMessage.substring(0, colon));
                message = codeAndMessage.substring(colon + 2);
            } catch (IllegalArgumentException ignored) {
                // keep INTERNAL with the whole text
            }
        }
        return errorAck(code, message);
    }

    /**
     * An edge forwards a write as it came (validated here first, so the core never sees what the edge refused); the
     * core's answer, an Ack or its error, goes back as it is. A write whose connection to the core failed gets
     * UNAVAILABLE.
     */
    private Mono<Payload> forward(Payload copy) {
        io.treecast.gateway.Upstream core = gateway.upstream;
        return core.connect()
                .onErrorMap(e -> Errors.application(ErrorCode.UNAVAILABLE, "this edge cannot reach its core at "
                        + core.address() + " (" + e.getMessage() + "): nothing was applied; retry shortly"))
                .flatMap(r -> r.requestResponse(copy))
                .onErrorMap(e -> !(e instanceof ApplicationErrorException), e -> Errors.application(ErrorCode.UNAVAILABLE,
                        "this edge lost its core at " + core.address() + " while forwarding the write (" + e.getMessage()
                        + "): it may or may not have been applied; retry it (a set or delete is safe to retry)"));
    }

    /** The request's data with the metadata of {@code route}, in new buffers: the request's own are released on return. */
    private static Payload copyOf(Payload payload, String route) {
        return ByteBufPayload.create(io.netty.buffer.Unpooled.copiedBuffer(payload.data()), Routing.metadata(route));
    }

    private HeldPublishes heldPublishes() {
        if (held == null) {
            held = new HeldPublishes(writer.channel(), gateway);
        }
        return held;
    }

    private Mono<Long> offer(io.treecast.fastpath.Batch batch, io.treecast.fastpath.AckMode mode) {
        HeldPublishes line = held;
        if (line != null && line.any()) {
            // applied now, it would overtake publishes this connection sent before it
            return Mono.error(Errors.application(ErrorCode.OVERLOADED, "the engine's inbound queue is full and publishes "
                    + "this connection sent before this request wait for room; nothing was applied: retry shortly, or slow "
                    + "down (the server's engine.inbound-queue-capacity bounds the queue)"));
        }
        return Mono.create((MonoSink<Long> sink) -> {
            OfferResult r = engine.offer(batch, mode, new AckListener() {
                @Override
                public void onAck(long seq) {
                    sink.success(seq);
                }

                @Override
                public void onError(ErrorCode code, String message) {
                    sink.error(Errors.application(code, message));
                }
            });
            if (r == OfferResult.BACK_PRESSURED) {
                sink.error(Errors.application(ErrorCode.OVERLOADED, "the engine's inbound queue is full; nothing was applied: "
                        + "retry shortly, or slow down (the server's engine.inbound-queue-capacity bounds the queue)"));
            } else if (r == OfferResult.CLOSED) {
                sink.error(Errors.application(ErrorCode.SHUTTING_DOWN, "the server is shutting down; nothing was applied: "
                        + "retry against another instance or after the restart"));
            }
        });
    }

    private static ApplicationErrorException misrouted(String route, String interaction) {
        String expected;
        switch (route) {
            case Routing.UPDATE:
            case Routing.GET:
            case Routing.CHILDREN:
                expected = "request-response";
                break;
            case Routing.PUBLISH:
                expected = "fire-and-forget";
                break;
            case Routing.INGEST:
                expected = "request-channel";
                break;
            case Routing.SUBSCRIBE:
                expected = "request-stream";
                break;
            default:
                return Errors.application(ErrorCode.UNKNOWN_ROUTE, "there is no route \""
                        + route + "\": use one of " + Routing.ROUTES);
        }
        return Errors.application(ErrorCode.WRONG_INTERACTION, "route " + route + " is "
                + expected + ", it was called as " + interaction + ": call it as " + expected);
    }

    private static void releaseQuietly(ReferenceCounted r) {
        if (r.refCnt() > 0) {
            r.release(r.refCnt());
        }
    }
}
