package io.treecast.client;

import io.treecast.client.internal.FnfWriter;

import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * A manual allocation probe for {@link TreecastClient#publish(ChangeBatch)} (not a test, not a benchmark of speed):
 * publishes pre-built single-leaf batches to a socket that reads and discards everything (so the only Java code
 * running is the client's), through rsocket-java's fire-and-forget and through the direct path, and prints the
 * bytes allocated per publish on the calling thread and in the whole JVM (all threads: the event loop included).
 * Bytes are machine-independent, so this may run on a busy machine. Run: see client/README.md.
 */
public final class PublishAllocationProbe {
    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        ChangeBatch[] batches = new ChangeBatch[1024];
        for (int i = 0; i < batches.length; i++) {
            batches[i] = ChangeBatch.create().set("bench/k" + i, (long) i);
        }
        try (ServerSocket sink = new ServerSocket(0, 4, InetAddress.getLoopbackAddress())) {
            Thread drain = new Thread(() -> {
                byte[] buf = new byte[1 << 16];
                while (!sink.isClosed()) {
                    try (Socket s = sink.accept(); InputStream in = s.getInputStream()) {
                        while (in.read(buf) >= 0) {
                            // discard
                        }
                    } catch (java.io.IOException e) {
                        // next connection, or the sink closed
                    }
                }
            }, "sink");
            drain.setDaemon(true);
            drain.start();
            String uri = "tcp://127.0.0.1:" + sink.getLocalPort();
            for (String path : new String[]{"rsocket-java", "direct", "rsocket-java", "direct"}) {
                if (path.equals("rsocket-java")) {
                    System.setProperty(FnfWriter.RSOCKET_FNF_PROPERTY, "true");
                } else {
                    System.clearProperty(FnfWriter.RSOCKET_FNF_PROPERTY);
                }
                try (TreecastClient client = TreecastClient.connect(uri)) {
                    run(client, batches, n); // warm-up
                    long[] bytes = run(client, batches, n);
                    System.out.printf("%-12s direct=%s: %.1f bytes/publish on the caller thread, %.1f bytes/publish in the JVM (%,d publishes)%n",
                            path, client.publishesDirect(), bytes[0] / (double) n, bytes[1] / (double) n, n);
                }
            }
        }
    }

    /** Publishes {@code n} batches in bursts of 1,000 (as a paced publisher would); returns {caller, JVM} bytes. */
    private static long[] run(TreecastClient client, ChangeBatch[] batches, int n) throws InterruptedException {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long self = Thread.currentThread().getId();
        long callerBefore = threads.getThreadAllocatedBytes(self);
        long jvmBefore = allThreads(threads);
        for (int i = 0; i < n; i++) {
            client.publish(batches[i & (batches.length - 1)]);
            if (i % 1000 == 999) {
                Thread.sleep(1); // let the event loop drain, so its queue does not grow without bound
            }
        }
        long caller = threads.getThreadAllocatedBytes(self) - callerBefore;
        Thread.sleep(200);
        return new long[]{caller, allThreads(threads) - jvmBefore};
    }

    private static long allThreads(com.sun.management.ThreadMXBean threads) {
        long sum = 0;
        for (long b : threads.getThreadAllocatedBytes(threads.getAllThreadIds())) {
            sum += Math.max(0, b);
        }
        return sum;
    }
}
