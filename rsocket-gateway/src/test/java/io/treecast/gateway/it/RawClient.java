package io.treecast.gateway.it;

import com.google.protobuf.MessageLite;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.rsocket.Payload;
import io.rsocket.RSocket;
import io.rsocket.core.RSocketConnector;
import io.rsocket.metadata.CompositeMetadataCodec;
import io.rsocket.metadata.TaggingMetadataCodec;
import io.rsocket.metadata.WellKnownMimeType;
import io.rsocket.transport.ClientTransport;
import io.rsocket.transport.netty.client.TcpClientTransport;
import io.rsocket.transport.netty.client.WebsocketClientTransport;
import io.rsocket.util.DefaultPayload;
import io.treecast.gateway.TreecastServer;
import io.treecast.proto.Ack;
import io.treecast.proto.Batch;
import io.treecast.proto.Change;
import io.treecast.proto.Delete;
import io.treecast.proto.Event;
import io.treecast.proto.Get;
import io.treecast.proto.Setup;
import io.treecast.proto.Snapshot;
import io.treecast.proto.Subscribe;
import io.treecast.proto.Value;
import reactor.core.publisher.Flux;
import reactor.netty.http.client.HttpClient;
import reactor.netty.tcp.TcpClient;

import java.time.Duration;
import java.util.List;

/**
 * A bare RSocket client speaking the wire protocol by hand (no Treecast client library), so the gateway tests
 * can send exactly the frames a foreign client would, including wrong ones.
 */
final class RawClient implements AutoCloseable {
    static final Duration WAIT = Duration.ofSeconds(10);
    final RSocket rsocket;

    private RawClient(RSocket rsocket) {
        this.rsocket = rsocket;
    }

    static RawClient tcp(TreecastServer server) {
        return connect(TcpClientTransport.create(TcpClient.newConnection().host("127.0.0.1").port(server.tcpAddress().getPort())), "");
    }

    static RawClient tcp(TreecastServer server, String token) {
        return connect(TcpClientTransport.create(TcpClient.newConnection().host("127.0.0.1").port(server.tcpAddress().getPort())), token);
    }

    /** A TCP client with its own keep-alive interval (the default is RSocket's 20 s). */
    static RawClient tcp(TreecastServer server, Duration keepAlive) {
        RSocket r = RSocketConnector.create()
                .dataMimeType("application/x-protobuf")
                .metadataMimeType(WellKnownMimeType.MESSAGE_RSOCKET_COMPOSITE_METADATA.getString())
                .keepAlive(keepAlive, Duration.ofSeconds(90))
                .fragment(64 * 1024)
                .connect(TcpClientTransport.create(TcpClient.newConnection().host("127.0.0.1").port(server.tcpAddress().getPort())))
                .block(WAIT);
        return new RawClient(r);
    }

    static RawClient ws(TreecastServer server) {
        return connect(WebsocketClientTransport.create(HttpClient.newConnection().host("127.0.0.1")
                .port(server.webSocketAddress().getPort()), server.config().webSocketPath()), "");
    }

    private static RawClient connect(ClientTransport transport, String token) {
        RSocket r = RSocketConnector.create()
                .dataMimeType("application/x-protobuf")
                .metadataMimeType(WellKnownMimeType.MESSAGE_RSOCKET_COMPOSITE_METADATA.getString())
                .setupPayload(DefaultPayload.create(Setup.newBuilder().setToken(token).setClientName("raw-test").build().toByteArray()))
                .fragment(64 * 1024)
                .connect(transport).block(WAIT);
        return new RawClient(r);
    }

    static byte[] route(String route) {
        CompositeByteBuf composite = ByteBufAllocator.DEFAULT.compositeBuffer();
        try {
            ByteBuf routing = TaggingMetadataCodec.createRoutingMetadata(ByteBufAllocator.DEFAULT, List.of(route)).getContent();
            CompositeMetadataCodec.encodeAndAddMetadata(composite, ByteBufAllocator.DEFAULT, WellKnownMimeType.MESSAGE_RSOCKET_ROUTING, routing);
            return ByteBufUtil.getBytes(composite);
        } finally {
            composite.release();
        }
    }

    static Payload payload(String route, MessageLite message) {
        return DefaultPayload.create(message.toByteArray(), route(route));
    }

    static Batch set(String path, Value v) {
        return Batch.newBuilder().addChanges(Change.newBuilder().setPath(path).setSet(v)).build();
    }

    static Batch set(String path, long v) {
        return set(path, Value.newBuilder().setIntValue(v).build());
    }

    static Batch delete(String path) {
        return Batch.newBuilder().addChanges(Change.newBuilder().setPath(path).setDelete(Delete.getDefaultInstance())).build();
    }

    long update(Batch batch) {
        Payload p = rsocket.requestResponse(payload("tree.update", batch)).block(WAIT);
        return parse(p, Ack.parser()).getSeq();
    }

    Snapshot get(String pattern) {
        Payload p = rsocket.requestResponse(payload("tree.get", Get.newBuilder().setPattern(pattern).build())).block(WAIT);
        return parse(p, Snapshot.parser());
    }

    Flux<Event> subscribe(Subscribe s) {
        return rsocket.requestStream(payload("tree.subscribe", s)).map(p -> parse(p, Event.parser()));
    }

    /** A subscription with several events per frame: each element is the events of one frame. */
    Flux<java.util.List<Event>> subscribeFrames(Subscribe s) {
        return rsocket.requestStream(payload("tree.subscribe", s)).map(p -> {
            try {
                java.io.InputStream in = new java.io.ByteArrayInputStream(p.getData().array(), p.getData().arrayOffset(), p.getData().remaining());
                java.util.List<Event> events = new java.util.ArrayList<>();
                Event e;
                while ((e = Event.parseDelimitedFrom(in)) != null) {
                    events.add(e);
                }
                return events;
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            } finally {
                p.release();
            }
        });
    }

    static <T> T parse(Payload p, com.google.protobuf.Parser<T> parser) {
        try {
            return parser.parseFrom(p.getData());
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        } finally {
            p.release();
        }
    }

    @Override
    public void close() {
        rsocket.dispose();
        rsocket.onClose().onErrorResume(e -> reactor.core.publisher.Mono.empty()).block(WAIT);
    }
}
