package io.treecast.client;

import io.treecast.client.internal.FnfWriter;

import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * A manual probe of what {@link TreecastClient#publish(ChangeBatch)} costs (not a test): publishes pre-built
 * single-leaf batches, paced at 50,000/s in bursts of 50 a millisecond, to a socket that reads and discards
 * everything (so the only Java code running is the client's), through rsocket-java's fire-and-forget and through
 * the direct path, alternately, and prints per publish the bytes allocated on the calling thread and in the whole
 * JVM, and the JVM's CPU time without the sink thread's (core-us). Bytes are machine-independent; CPU time is
 * inflated by a busy machine. Run: see client/README.md.
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
            java.lang.management.ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
            com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 2;
            for (int round = 0; round < rounds * 2; round++) {
                String path = round % 2 == 0 ? "rsocket-java" : "direct";
                if (path.equals("rsocket-java")) {
                    System.setProperty(FnfWriter.RSOCKET_FNF_PROPERTY, "true");
                } else {
                    System.clearProperty(FnfWriter.RSOCKET_FNF_PROPERTY);
                }
                try (TreecastClient client = TreecastClient.connect(uri)) {
                    run(client, batches, n); // warm-up
                    long sinkCpu = cpu.getThreadCpuTime(drain.getId());
                    long jvmCpu = os.getProcessCpuTime();
                    long[] bytes = run(client, batches, n);
                    double coreUs = ((os.getProcessCpuTime() - jvmCpu) - (cpu.getThreadCpuTime(drain.getId()) - sinkCpu)) / 1e3 / n;
                    System.out.printf("%-12s direct=%s: %.1f bytes/publish on the caller thread, %.1f bytes/publish in the JVM,"
                                    + " %.2f core-us/publish in the JVM without the sink (%,d publishes, load %s)%n",
                            path, client.publishesDirect(), bytes[0] / (double) n, bytes[1] / (double) n, coreUs, n,
                            java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).substring(0, 14));
                }
            }
        }
    }

    /** Publishes {@code n} batches at 50,000/s, 50 every millisecond (as the load generator paces); returns {caller, JVM} bytes. */
    private static long[] run(TreecastClient client, ChangeBatch[] batches, int n) throws InterruptedException {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long self = Thread.currentThread().getId();
        long callerBefore = threads.getThreadAllocatedBytes(self);
        long jvmBefore = allThreads(threads);
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            client.publish(batches[i & (batches.length - 1)]);
            if (i % 50 == 49) {
                long due = start + (i + 1) * 20_000L;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(wait);
                }
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
