package io.treecast.durability.internal;

import java.net.InetAddress;
import java.net.ServerSocket;

/**
 * A stand-in for {@code treecast state} in {@link StateStoreChildIT}: binds {@code --query-port N} (0: any free port)
 * on loopback, prints the line the real command prints once it serves, and waits until its parent stops it.
 */
public final class FakeStateMain {
    private FakeStateMain() {
    }

    public static void main(String[] args) throws Exception {
        int port = 0;
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals("--query-port")) {
                port = Integer.parseInt(args[i + 1]);
            }
        }
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            System.out.println("fake state: queries on http://127.0.0.1:" + socket.getLocalPort());
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
    }
}
