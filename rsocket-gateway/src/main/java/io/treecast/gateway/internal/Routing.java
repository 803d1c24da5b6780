package io.treecast.gateway.internal;

import io.netty.buffer.ByteBuf;
import io.rsocket.metadata.CompositeMetadata;
import io.rsocket.metadata.RoutingMetadata;
import io.rsocket.metadata.WellKnownMimeType;
import io.treecast.fastpath.ErrorCode;
import io.treecast.fastpath.TreecastException;

import java.util.Iterator;

/** Reads the route from composite metadata. */
public final class Routing {
    public static final String UPDATE = "tree.update";
    public static final String PUBLISH = "tree.publish";
    public static final String INGEST = "tree.ingest";
    public static final String SUBSCRIBE = "tree.subscribe";
    public static final String GET = "tree.get";
    static final String ROUTES = "tree.update, tree.publish, tree.ingest, tree.subscribe, tree.get";
    private static final String ROUTING_MIME = WellKnownMimeType.MESSAGE_RSOCKET_ROUTING.getString();

    private Routing() {
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
