package io.treecast.gateway.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.rsocket.metadata.CompositeMetadataCodec;
import io.rsocket.metadata.CompositeMetadata;
import io.rsocket.metadata.RoutingMetadata;
import io.rsocket.metadata.TaggingMetadataCodec;
import io.rsocket.metadata.WellKnownMimeType;
import io.treecast.fastpath.ErrorCode;
import io.treecast.fastpath.TreecastException;

import java.util.Iterator;
import java.util.List;

/** Reads the route from composite metadata. */
public final class Routing {
    public static final String UPDATE = "tree.update";
    public static final String PUBLISH = "tree.publish";
    public static final String INGEST = "tree.ingest";
    public static final String SUBSCRIBE = "tree.subscribe";
    public static final String GET = "tree.get";
    /** The direct children of one node, for browsing a big tree level by level (the web console). */
    public static final String CHILDREN = "tree.children";
    static final String ROUTES = "tree.update, tree.publish, tree.ingest, tree.subscribe, tree.get, tree.children";
    private static final String ROUTING_MIME = WellKnownMimeType.MESSAGE_RSOCKET_ROUTING.getString();
    private static final String[] KNOWN = {UPDATE, PUBLISH, INGEST, SUBSCRIBE, GET, CHILDREN};
    /** Each route as the one-entry composite metadata that clients usually send, for a match without parsing. */
    private static final ByteBuf[] KNOWN_METADATA = new ByteBuf[KNOWN.length];

    static {
        for (int i = 0; i < KNOWN.length; i++) {
            CompositeByteBuf composite = Unpooled.compositeBuffer();
            ByteBuf routing = TaggingMetadataCodec.createRoutingMetadata(UnpooledByteBufAllocator.DEFAULT, List.of(KNOWN[i])).getContent();
            CompositeMetadataCodec.encodeAndAddMetadata(composite, UnpooledByteBufAllocator.DEFAULT, WellKnownMimeType.MESSAGE_RSOCKET_ROUTING, routing);
            KNOWN_METADATA[i] = Unpooled.unreleasableBuffer(Unpooled.copiedBuffer(composite));
            composite.release();
        }
    }

    private Routing() {
    }

    /** The composite metadata naming {@code route} (one of the known routes), as a new buffer the caller owns. */
    public static ByteBuf metadata(String route) {
        for (int i = 0; i < KNOWN.length; i++) {
            if (KNOWN[i].equals(route)) {
                return Unpooled.copiedBuffer(KNOWN_METADATA[i]);
            }
        }
        throw new IllegalArgumentException("not a Treecast route: " + route);
    }

    /**
     * The first routing tag of {@code metadata}.
     *
     * @throws TreecastException UNKNOWN_ROUTE when there is no routing entry, MALFORMED when the metadata is not
     *                           valid composite metadata
     */
    public static String route(ByteBuf metadata) {
        if (metadata == null || !metadata.isReadable()) {
            throw missing();
        }
        // the common case, once per request: the exact bytes of a known route, no entry or String to build
        for (int i = 0; i < KNOWN_METADATA.length; i++) {
            ByteBuf known = KNOWN_METADATA[i];
            if (metadata.readableBytes() == known.readableBytes()
                    && ByteBufUtil.equals(metadata, metadata.readerIndex(), known, 0, known.readableBytes())) {
                return KNOWN[i];
            }
        }
        try {
            for (CompositeMetadata.Entry entry : new CompositeMetadata(metadata, false)) {
                if (ROUTING_MIME.equals(entry.getMimeType())) {
                    Iterator<String> tags = new RoutingMetadata(entry.getContent()).iterator();
                    if (tags.hasNext()) {
                        return tags.next();
                    }
                }
            }
        } catch (TreecastException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new TreecastException(ErrorCode.MALFORMED, "the metadata is not valid composite metadata "
                    + "(message/x.rsocket.composite-metadata.v0): " + e.getMessage());
        }
        throw missing();
    }

    private static TreecastException missing() {
        return new TreecastException(ErrorCode.UNKNOWN_ROUTE, "the request has no route: add a "
                + ROUTING_MIME + " entry to the composite metadata naming one of " + ROUTES);
    }
}
