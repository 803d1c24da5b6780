package io.treecast.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(NoLeaks.class)
class NoLeaksTest {
    @Test
    void aBufferThatIsNeverReleasedIsReportedAsALeak() {
        leakOne();
        assertThat(NoLeaks.collect()).anySatisfy(l -> assertThat(l).contains("ByteBuf"));
    }

    private static void leakOne() {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.buffer(32);
        b.writeInt(42); // dropped without release on purpose
    }
}
