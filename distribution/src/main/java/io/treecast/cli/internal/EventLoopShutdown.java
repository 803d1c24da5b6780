package io.treecast.cli.internal;

import java.time.Duration;

/**
 * Stops the Treecast clients' event loops and reactor-netty's shared ones before a client command exits. HotSpot's exit waits up to 300 ms for
 * threads that are in native code, and an idle Netty event loop is in native code ({@code epoll_wait}): without this,
 * every {@code treecast set} spent about 300 ms after its work was done (strace: 30 waits of 10 ms before
 * {@code exit_group}). Stopped loops have no thread left in native code, so the JVM exits at once.
 */
public final class EventLoopShutdown {
    private EventLoopShutdown() {
    }

    /** Disposes the clients' loops and the shared TCP and HTTP (WebSocket) loop resources, waiting at most a second each; never throws. */
    public static void stopSharedEventLoops() {
        try {
            io.treecast.client.TreecastClient.stopEventLoops(Duration.ofSeconds(1));
            reactor.netty.tcp.TcpResources.disposeLoopsAndConnectionsLater(Duration.ZERO, Duration.ZERO)
                    .then(reactor.netty.http.HttpResources.disposeLoopsAndConnectionsLater(Duration.ZERO, Duration.ZERO))
                    .block(Duration.ofSeconds(1));
        } catch (RuntimeException | LinkageError slowOrMissing) {
            // the command's result is already written: exit anyway, at worst 300 ms later
        }
    }
}
