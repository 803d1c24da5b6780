package io.treecast.gateway.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Frames rsocket-java would fail on deep in its handling (with a stack trace per connection) are named here first. */
class ConnectionGuardTest {
    private static final int PAYLOAD = 0x0A;
    private static final int REQUEST_N = 0x08;
    private static final int FLAG_NEXT = 0x20;
    private static final int FLAG_COMPLETE = 0x40;

    private static ByteBuf frame(int streamId, int type, int flags, int bodyBytes) {
        ByteBuf f = Unpooled.buffer();
        f.writeInt(streamId).writeShort((type << 10) | flags).writeZero(bodyBytes);
        return f;
    }

    @Test
    void aFrameOnAnEvenStreamIdIsMalformedBecauseTheServerStartsNoStreams() {
        assertThat(ConnectionGuard.malformed(frame(2, REQUEST_N, 0, 4)))
                .isEqualTo("a REQUEST_N frame on stream 2: a client's streams have odd ids, and this server starts no streams of its own");
        assertThat(ConnectionGuard.malformed(frame(3, REQUEST_N, 0, 4))).isNull();
    }

    @Test
    void aPayloadWithNeitherNextNorCompleteIsMalformed() {
        assertThat(ConnectionGuard.malformed(frame(1, PAYLOAD, 0, 0)))
                .isEqualTo("a PAYLOAD frame on stream 1 sets neither NEXT nor COMPLETE: set one or both");
        assertThat(ConnectionGuard.malformed(frame(1, PAYLOAD, FLAG_NEXT, 0))).isNull();
        assertThat(ConnectionGuard.malformed(frame(1, PAYLOAD, FLAG_COMPLETE, 0))).isNull();
    }
}
