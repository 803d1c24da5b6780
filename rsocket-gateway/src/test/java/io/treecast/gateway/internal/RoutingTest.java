package io.treecast.gateway.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.rsocket.metadata.CompositeMetadataCodec;
import io.rsocket.metadata.TaggingMetadataCodec;
import io.rsocket.metadata.WellKnownMimeType;
import io.treecast.fastpath.ErrorCode;
import io.treecast.fastpath.TreecastException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class RoutingTest {

    /** The route of {@code metadata}, which is released afterwards (the gateway's tests fail on leaked buffers). */
    private static String route(ByteBuf metadata) {
        try {
            return Routing.route(metadata);
        } finally {
            metadata.release();
        }
    }

    private static ByteBuf routes(String... tags) {
        CompositeByteBuf composite = Unpooled.compositeBuffer();
        ByteBuf routing = TaggingMetadataCodec.createRoutingMetadata(ByteBufAllocator.DEFAULT, List.of(tags)).getContent();
        CompositeMetadataCodec.encodeAndAddMetadata(composite, ByteBufAllocator.DEFAULT, WellKnownMimeType.MESSAGE_RSOCKET_ROUTING, routing);
        return composite;
    }

    @Test
    void readsEachRouteFromTheUsualOneEntryMetadata() {
        for (String r : List.of(Routing.UPDATE, Routing.PUBLISH, Routing.INGEST, Routing.SUBSCRIBE, Routing.GET)) {
            assertThat(route(routes(r))).isEqualTo(r);
        }
    }

    @Test
    void readsTheFirstTagOfOtherShapesAndUnknownRoutes() {
        // two tags, a MIME type written as text, an unknown route: not the precomputed bytes, so fully parsed
        assertThat(route(routes(Routing.GET, "extra"))).isEqualTo(Routing.GET);
        CompositeByteBuf textMime = Unpooled.compositeBuffer();
        CompositeMetadataCodec.encodeAndAddMetadata(textMime, ByteBufAllocator.DEFAULT, "message/x.rsocket.routing.v0",
                TaggingMetadataCodec.createRoutingMetadata(ByteBufAllocator.DEFAULT, List.of(Routing.UPDATE)).getContent());
        assertThat(route(textMime)).isEqualTo(Routing.UPDATE);
        assertThat(route(routes("tree.nope"))).isEqualTo("tree.nope");
    }

    @Test
    void missingOrBrokenMetadataIsRefused() {
        assertThat(catchThrowableOfType(TreecastException.class, () -> Routing.route(Unpooled.EMPTY_BUFFER)).code())
                .isEqualTo(ErrorCode.UNKNOWN_ROUTE);
        assertThat(catchThrowableOfType(TreecastException.class, () -> Routing.route(Unpooled.wrappedBuffer(new byte[] {(byte) 0xFE, 1})))
                .code()).isEqualTo(ErrorCode.MALFORMED);
    }
}
