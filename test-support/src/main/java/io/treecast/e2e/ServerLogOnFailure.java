package io.treecast.e2e;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;

/**
 * When a test fails, prints the last lines of the log of every server process its class started (the whole logs
 * stay in {@code target/e2e-logs/}), so the failure report shows what the server saw, not only what the test saw.
 */
public final class ServerLogOnFailure implements BeforeAllCallback, TestWatcher {
    private static final int TAIL_LINES = 60;
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(ServerLogOnFailure.class);

    @Override
    public void beforeAll(ExtensionContext context) {
        context.getStore(NS).put("since", System.nanoTime());
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        Long since = context.getStore(NS).get("since", Long.class);
        for (ServerProcess server : ServerProcess.STARTED) {
            if (since != null && server.createdNanos() < since) {
                continue;
            }
            StringBuilder out = new StringBuilder("---- last lines of ").append(server).append(", ")
                    .append(server.log().toAbsolutePath()).append(" (failed: ").append(context.getDisplayName()).append(")\n");
            try {
                List<String> lines = Files.readAllLines(server.log());
                lines.subList(Math.max(0, lines.size() - TAIL_LINES), lines.size()).forEach(l -> out.append("  | ").append(l).append('\n'));
            } catch (IOException e) {
                out.append("  (unreadable: ").append(e.getMessage()).append(")\n");
            }
            System.out.print(out);
        }
    }
}
