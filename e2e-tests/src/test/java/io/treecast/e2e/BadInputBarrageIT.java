package io.treecast.e2e;

import com.google.protobuf.ByteString;
import io.treecast.client.ClientSubscription;
import io.treecast.client.Policy;
import io.treecast.client.SubscribeSpec;
import io.treecast.client.TreecastClient;
import io.treecast.proto.Ack;
import io.treecast.proto.Batch;
import io.treecast.proto.Change;
import io.treecast.proto.Delete;
import io.treecast.proto.Get;
import io.treecast.proto.Subscribe;
import io.treecast.proto.Value;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import static io.treecast.e2e.RawSocket.APPLICATION_ERROR;
import static io.treecast.e2e.RawSocket.REQUEST_FNF;
import static io.treecast.e2e.RawSocket.REQUEST_RESPONSE;
import static io.treecast.e2e.RawSocket.REQUEST_STREAM;
import static io.treecast.e2e.RawSocket.request;
import static io.treecast.e2e.RawSocket.route;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Guarantee 7 against the packaged server: a barrage of bad input written byte by byte on raw TCP sockets. Broken
 * frames end only the connection that sent them; requests with bad content are answered on their own stream with
 * {@code APPLICATION_ERROR} and {@code CODE: message}, and that connection carries on. After every test a bystander
 * client, connected and subscribed all along, still writes, reads and receives every event, and nothing bad was
 * applied.
 */
@ExtendWith(ServerLogOnFailure.class)
class BadInputBarrageIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final int MAX_VALUE_BYTES = 1024;
    private static final int MAX_BATCH_CHANGES = 16;
    private static final int MAX_BATCH_BYTES = 16384;

    private static ServerProcess server;
    private static TreecastClient bystander;
    private static Recorder bystanderEvents;
    private static ClientSubscription bystanderSubscription;
    private static final AtomicLong heartbeat = new AtomicLong();

    @BeforeAll
    static void start() throws Exception {
        server = ServerProcess.start("bad-input", "--in-memory",
                "--set", "limits.max-value-bytes=" + MAX_VALUE_BYTES,
                "--set", "limits.max-batch-changes=" + MAX_BATCH_CHANGES,
                "--set", "limits.max-batch-bytes=" + MAX_BATCH_BYTES);
        bystander = TreecastClient.connect(server.tcpUrl());
        bystanderEvents = new Recorder();
        bystanderSubscription = bystander.subscribe(SubscribeSpec.pattern("**").snapshot().policy(Policy.STRICT),
                bystanderEvents, bystanderEvents::ended);
        bystanderEvents.awaitSnapshotEnd(WAIT);
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (bystanderSubscription != null) {
                bystanderSubscription.cancel();
            }
            if (bystander != null) {
                bystander.close();
            }
        } finally {
            if (server != null) {
                server.close();
            }
        }
    }

    /** The server, another client's connection and subscription, and the data are unaffected. */
    @AfterEach
    void bystanderIsUnaffected() {
        assertThat(server.isAlive()).isTrue();
        long seq = bystander.set("bystander/heartbeat", heartbeat.incrementAndGet());
        bystanderEvents.awaitSeq(seq, WAIT);
        assertThat(bystanderEvents.end()).as("the bystander's subscription is still open").isNull();
        assertThat(bystanderEvents.updateChanges()).as("every change the subscriber saw came from a good request")
                .allSatisfy(c -> assertThat(c.path()).matches("bystander/heartbeat|good/.*"));
        assertThat(bystander.get("**").toMap().keySet()).allSatisfy(p -> assertThat(p).matches("bystander/heartbeat|good/.*"));
    }

    static Stream<Arguments> brokenFrames() {
        byte[] get = Get.newBuilder().setPattern("a/**").build().toByteArray();
        return Stream.of(
                Arguments.of("a request before SETUP",
                        request(REQUEST_RESPONSE, 1, route("tree.get"), get), RawSocket.INVALID_SETUP, "SETUP"),
                Arguments.of("SETUP of an unsupported protocol version",
                        RawSocket.setupFrame(9, RawSocket.COMPOSITE_METADATA, RawSocket.PROTOBUF, new byte[0]),
                        RawSocket.INVALID_SETUP, "version"),
                Arguments.of("SETUP with a data MIME type other than protobuf",
                        RawSocket.setupFrame(1, RawSocket.COMPOSITE_METADATA, "text/plain", new byte[0]),
                        RawSocket.REJECTED_SETUP, "INVALID_REQUEST: data MIME type is \"text/plain\""),
                Arguments.of("SETUP with a metadata MIME type other than composite",
                        RawSocket.setupFrame(1, "text/plain", RawSocket.PROTOBUF, new byte[0]),
                        RawSocket.REJECTED_SETUP, "INVALID_REQUEST: metadata MIME type is \"text/plain\""),
                Arguments.of("SETUP whose data is not a protobuf treecast.v1.Setup",
                        RawSocket.setupFrame(1, RawSocket.COMPOSITE_METADATA, RawSocket.PROTOBUF,
                                new byte[]{(byte) 0xFF, (byte) 0xFF, (byte) 0xFF}),
                        RawSocket.REJECTED_SETUP, "MALFORMED: the SETUP data is not a valid protobuf treecast.v1.Setup"),
                Arguments.of("a request on an even (server-side) stream id after SETUP",
                        concat(setup(), request(REQUEST_RESPONSE, 2, route("tree.get"), get)), RawSocket.CONNECTION_ERROR, ""),
                // below the RSocket layer rsocket-java cannot answer: it closes the connection without an ERROR frame
                Arguments.of("a frame shorter than a frame header",
                        concat(setup(), new byte[]{0, 0, 2, 1, 2}), -1, ""),
                Arguments.of("an unknown frame type without the ignore flag",
                        concat(setup(), RawSocket.frame(1, 0x3E, 0, new byte[]{1, 2, 3})), -1, ""));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenFrames")
    void aBrokenFrameEndsOnlyTheConnectionThatSentIt(String what, byte[] bytes, int errorCode, String inMessage) throws Exception {
        try (RawSocket raw = RawSocket.connect(server.tcpPort())) {
            raw.send(bytes);
            if (errorCode >= 0) {
                RawSocket.Frame answer = raw.read();
                assertThat(answer).as("answer to %s", what).isNotNull();
                assertThat(answer.isError()).as("%s", answer).isTrue();
                assertThat(answer.streamId()).as("a connection-level error").isZero();
                assertThat(answer.code()).as("error code of %s", answer).isEqualTo(errorCode);
                assertThat(answer.message()).contains(inMessage);
            }
            assertThat(raw.closedByServerWithin(WAIT)).as("the server closes the connection after %s", what).isTrue();
        }
    }

    @Test
    void everyRequestWithBadContentIsAnsweredOnItsStreamWithItsCodeAndTheConnectionCarriesOn() throws Exception {
        List<Object[]> cases = new ArrayList<>();
        byte[] validBatch = set("x/y", Value.newBuilder().setIntValue(1).build()).toByteArray();
        byte[] garbage = {0x0a, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01, 0x02};
        cases.add(new Object[]{"protobuf that is not a Batch", REQUEST_RESPONSE, route("tree.update"), garbage,
                "MALFORMED: ", "treecast.v1.Batch"});
        cases.add(new Object[]{"protobuf that is not a Get", REQUEST_RESPONSE, route("tree.get"), garbage,
                "MALFORMED: ", "treecast.v1.Get"});
        cases.add(new Object[]{"protobuf that is not a Subscribe", REQUEST_STREAM, route("tree.subscribe"), garbage,
                "MALFORMED: ", "treecast.v1.Subscribe"});
        cases.add(new Object[]{"no metadata", REQUEST_RESPONSE, null, validBatch, "UNKNOWN_ROUTE: ", "has no route"});
        cases.add(new Object[]{"an unknown route", REQUEST_RESPONSE, route("tree.upsert"), validBatch,
                "UNKNOWN_ROUTE: ", "\"tree.upsert\""});
        cases.add(new Object[]{"metadata that is not composite metadata", REQUEST_RESPONSE,
                new byte[]{0x05, 'h', 'e', 'l', 'l', 'o', 0, 0, 0x7f, 0x01}, validBatch, "MALFORMED: ", "composite metadata"});
        cases.add(new Object[]{"composite metadata whose entry runs past its end", REQUEST_RESPONSE,
                new byte[]{(byte) 0xFE, 0, 0, 100, 3, 'a'}, validBatch, "MALFORMED: ", "composite metadata"});
        cases.add(new Object[]{"an empty path segment", REQUEST_RESPONSE, route("tree.update"),
                set("bad//path", Value.newBuilder().setIntValue(1).build()).toByteArray(), "INVALID_PATH: ", "bad//path"});
        cases.add(new Object[]{"a control character in a path", REQUEST_RESPONSE, route("tree.update"),
                set("bad/\u0001x", Value.newBuilder().setIntValue(1).build()).toByteArray(), "INVALID_PATH: ", ""});
        cases.add(new Object[]{"a pattern character in a path", REQUEST_RESPONSE, route("tree.update"),
                set("bad/*", Value.newBuilder().setIntValue(1).build()).toByteArray(), "INVALID_PATH: ", "bad/*"});
        cases.add(new Object[]{"a path of 33 segments", REQUEST_RESPONSE, route("tree.update"),
                set("s/".repeat(32) + "s", Value.newBuilder().setIntValue(1).build()).toByteArray(), "INVALID_PATH: ", ""});
        cases.add(new Object[]{"a delete of a path with an empty segment", REQUEST_RESPONSE, route("tree.update"),
                Batch.newBuilder().addChanges(Change.newBuilder().setPath("bad//x").setDelete(Delete.getDefaultInstance())).build()
                        .toByteArray(), "INVALID_PATH: ", "bad//x"});
        cases.add(new Object[]{"an unclosed alternation in a get pattern", REQUEST_RESPONSE, route("tree.get"),
                Get.newBuilder().setPattern("x/{y").build().toByteArray(), "INVALID_PATTERN: ", "x/{y"});
        cases.add(new Object[]{"an empty segment in a subscribe pattern", REQUEST_STREAM, route("tree.subscribe"),
                Subscribe.newBuilder().setPattern("x//y").build().toByteArray(), "INVALID_PATTERN: ", "x//y"});
        cases.add(new Object[]{"a value over limits.max-value-bytes", REQUEST_RESPONSE, route("tree.update"),
                set("bad/big", Value.newBuilder().setBytesValue(ByteString.copyFrom(new byte[MAX_VALUE_BYTES + 100])).build())
                        .toByteArray(), "VALUE_TOO_LARGE: ", "limits.max-value-bytes"});
        Batch.Builder many = Batch.newBuilder();
        for (int i = 0; i <= MAX_BATCH_CHANGES; i++) {
            many.addChanges(set("bad/many/" + i, Value.newBuilder().setIntValue(i).build()).getChanges(0));
        }
        cases.add(new Object[]{"a batch over limits.max-batch-changes", REQUEST_RESPONSE, route("tree.update"),
                many.build().toByteArray(), "INVALID_BATCH: ", "limits.max-batch-changes"});
        cases.add(new Object[]{"an empty batch", REQUEST_RESPONSE, route("tree.update"), Batch.getDefaultInstance().toByteArray(),
                "INVALID_BATCH: ", "no changes"});
        cases.add(new Object[]{"a set without a value kind", REQUEST_RESPONSE, route("tree.update"),
                set("bad/novalue", Value.getDefaultInstance()).toByteArray(), "INVALID_VALUE: ", ""});
        cases.add(new Object[]{"a request-response route called as a stream", REQUEST_STREAM, route("tree.get"),
                Get.newBuilder().setPattern("a").build().toByteArray(), "WRONG_INTERACTION: ", "tree.get"});
        cases.add(new Object[]{"a stream route called as request-response", REQUEST_RESPONSE, route("tree.subscribe"),
                Subscribe.newBuilder().setPattern("a").build().toByteArray(), "WRONG_INTERACTION: ", "tree.subscribe"});

        try (RawSocket raw = RawSocket.connect(server.tcpPort())) {
            raw.setup();
            int streamId = 1;
            for (Object[] c : cases) {
                String what = (String) c[0];
                raw.send(request((Integer) c[1], streamId, (byte[]) c[2], (byte[]) c[3]));
                RawSocket.Frame answer = raw.read();
                assertThat(answer).as("answer to %s", what).isNotNull();
                assertThat(answer.isError()).as("%s answered with %s", what, answer).isTrue();
                assertThat(answer.streamId()).as("%s answered on its own stream", what).isEqualTo(streamId);
                assertThat(answer.code()).as("%s", what).isEqualTo(APPLICATION_ERROR);
                assertThat(answer.message()).as("%s", what).startsWith((String) c[4]).contains((String) c[5]);
                streamId += 2;
            }
            // a fire-and-forget cannot be answered: it is dropped, and nothing of it applied (checked after the test)
            raw.send(request(REQUEST_FNF, streamId, route("tree.publish"),
                    set("bad//publish", Value.newBuilder().setIntValue(1).build()).toByteArray()));
            streamId += 2;

            // the same connection still works
            raw.send(request(REQUEST_RESPONSE, streamId, route("tree.update"),
                    set("good/after-barrage", Value.newBuilder().setStringValue("ok").build()).toByteArray()));
            RawSocket.Frame ack = raw.read();
            assertThat(ack.isError()).as("%s", ack).isFalse();
            assertThat(ack.streamId()).isEqualTo(streamId);
            assertThat(Ack.parseFrom(ack.data()).getSeq()).isPositive();
        }
        assertThat(bystander.get("good/after-barrage").toMap()).containsKey("good/after-barrage");
    }

    @Test
    void aMegabytePayloadIsRefusedAsTooLargeAndTheConnectionCarriesOn() throws Exception {
        Batch.Builder big = Batch.newBuilder();
        for (int i = 0; i < MAX_BATCH_CHANGES; i++) {
            big.addChanges(set("bad/huge/" + i, Value.newBuilder().setStringValue("v".repeat(MAX_VALUE_BYTES - 16)).build()).getChanges(0));
        }
        byte[] megabyte = new byte[1 << 20];
        try (RawSocket raw = RawSocket.connect(server.tcpPort())) {
            raw.setup();
            raw.send(request(REQUEST_RESPONSE, 1, route("tree.update"), big.build().toByteArray()));
            RawSocket.Frame overBatchBytes = raw.read();
            assertThat(overBatchBytes.isError()).as("%s", overBatchBytes).isTrue();
            assertThat(overBatchBytes.message()).startsWith("INVALID_BATCH: ").contains("limits.max-batch-bytes");

            raw.send(request(REQUEST_RESPONSE, 3, route("tree.update"), megabyte));
            RawSocket.Frame garbageMegabyte = raw.read();
            assertThat(garbageMegabyte.isError()).as("%s", garbageMegabyte).isTrue();
            assertThat(garbageMegabyte.streamId()).isEqualTo(3);
            assertThat(garbageMegabyte.message()).matches("(?s)(INVALID_BATCH|MALFORMED): .*");

            raw.send(request(REQUEST_RESPONSE, 5, route("tree.update"),
                    set("good/after-megabyte", Value.newBuilder().setBoolValue(true).build()).toByteArray()));
            RawSocket.Frame ack = raw.read();
            assertThat(ack.isError()).as("%s", ack).isFalse();
            assertThat(Ack.parseFrom(ack.data()).getSeq()).isPositive();
        }
    }

    private static Batch set(String path, Value value) {
        return Batch.newBuilder().addChanges(Change.newBuilder().setPath(path).setSet(value)).build();
    }

    private static byte[] setup() {
        return RawSocket.setupFrame(1, RawSocket.COMPOSITE_METADATA, RawSocket.PROTOBUF, new byte[0]);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
