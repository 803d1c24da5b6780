/**
 * The Treecast server application: {@link io.treecast.gateway.TreecastServer} puts an engine on RSocket (TCP and
 * WebSocket) and {@link io.treecast.gateway.ServerConfig} holds its validated settings.
 *
 * <pre>{@code
 * TreecastServer server = TreecastServer.start(ServerConfig.defaults(), null);
 * }</pre>
 *
 * The wire protocol is described in {@code proto/README.md}; the machinery lives in
 * {@code io.treecast.gateway.internal} and is not an API.
 */
package io.treecast.gateway;
