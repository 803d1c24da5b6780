package io.treecast.gateway.it;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.rsocket.frame.ErrorFrameCodec;
import io.treecast.gateway.NoLeaks;
import io.treecast.gateway.ServerConfig;
import io.treecast.gateway.TreecastServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hostile connections cost a bounded number of short log lines: before, one bad frame per connection logged a
 * 3.3 KB stack trace for each of 500 connections. Each bad frame still closes its connection with MALFORMED.
 */
@ExtendWith(NoLeaks.class)
class LogVolumeIT {
    private TreecastServer server;
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();

    @BeforeEach
    void capture() {
        logged.start();
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(logged);
    }

    @AfterEach
    void stop() {
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logged);
        if (server != null) {
            server.close();
        }
    }

    /** A frame: stream id, 6-bit type, 10 bits of flags, body. */
    static byte[] frame(int streamId, int type, int flags, byte[] body) {
        byte[] f = new byte[6 + body.length];
        f[0] = (byte) (streamId >>> 24);
        f[1] = (byte) (streamId >>> 16);
        f[2] = (byte) (streamId >>> 8);
        f[3] = (byte) streamId;
        int typeAndFlags = (type << 10) | flags;
        f[4] = (byte) (typeAndFlags >>> 8);
        f[5] = (byte) typeAndFlags;
        System.arraycopy(body, 0, f, 6, body.length);
        return f;
    }

    @Test
    void fiveHundredConnectionsWithABadFrameEachLogAFewShortLinesAndEachIsClosedWithMalformed() throws Exception {
        server = TreecastServer.start(ServerConfig.builder().set("tcp.port", "0").set("websocket.enabled", "false").build(), null);
        List<byte[]> bad = List.of(
                new byte[] {1, 2},                                    // shorter than a frame header
                frame(1, 0x3E, 0, new byte[] {1, 2, 3}),              // unknown type, no ignore flag
                frame(1, 0x04, 0x100, new byte[] {0, 0, 9, 1}),       // REQUEST_RESPONSE: 9 bytes of metadata announced, 1 sent
                frame(1, 0x06, 0, new byte[] {0, 0}),                 // REQUEST_STREAM without its initial request-n
                frame(0, 0x03, 0x80, new byte[] {1}));                // KEEPALIVE without its last position
        try (RawClient control = RawClient.tcp(server)) {
            for (int i = 0; i < 500; i++) {
                byte[] b = bad.get(i % bad.size());
                try (RawFrames raw = new RawFrames(server)) {
                    raw.send(RawFrames.setup(20_000, 90_000));
                    raw.send(b);
                    RawFrames.Seen seen = raw.readUntilClosed();
                    assertThat(seen.errorCode).as("bad frame %s", i % bad.size()).isEqualTo(ErrorFrameCodec.CONNECTION_ERROR);
                    assertThat(seen.errorMessage).startsWith("MALFORMED: ");
                }
                if (i % 100 == 0) {
                    assertThat(control.update(RawClient.set("log/control", i))).isPositive();
                }
            }
            assertThat(control.update(RawClient.set("log/control", -1))).isPositive();
        }
        List<ILoggingEvent> lines = logged.list.stream().filter(e -> !e.getLoggerName().equals(TreecastServer.class.getName())).toList();
        // one line per cause per 10 s, each with the count of the ones it stood for
        assertThat(lines).as("%s", lines).hasSizeLessThanOrEqualTo(10);
        assertThat(lines).allSatisfy(e -> {
            assertThat(e.getThrowableProxy()).as("a stack trace in %s", e.getFormattedMessage()).isNull();
            assertThat(e.getFormattedMessage()).hasSizeLessThan(1024).doesNotContain("\n");
        });
    }
}
