package io.treecast.gateway.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.rsocket.frame.ErrorFrameCodec;
import io.rsocket.frame.FrameLengthCodec;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link InboundTimeouts} on its own channel: the reads arrive exactly as the test splits them. */
class InboundTimeoutsTest {

    @Test
    void aLengthPrefixSplitAcrossReadsIsJudgedWhole() {
        EmbeddedChannel channel = new EmbeddedChannel(new InboundTimeouts(60_000, 30_000, true));
        channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {(byte) 0xFF}));
        ByteBuf firstByte = channel.readInbound(); // passed on: the frame decoder would keep it
        firstByte.release();

        channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {(byte) 0xFF, (byte) 0xFF, 0, 0, 0, 1}));

        assertThat((Object) channel.readInbound()).as("nothing of the refused frame passed on").isNull();
        assertThat(channel.isOpen()).isFalse();
        ByteBuf written = channel.readOutbound();
        try {
            ByteBuf error = FrameLengthCodec.frame(written);
            assertThat(ErrorFrameCodec.errorCode(error)).isEqualTo(ErrorFrameCodec.CONNECTION_ERROR);
            assertThat(ErrorFrameCodec.dataUtf8(error)).startsWith("MALFORMED: a frame's length prefix says 16777215 bytes");
        } finally {
            written.release();
        }
    }
}
