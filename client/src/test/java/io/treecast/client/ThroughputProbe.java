package io.treecast.client;

import io.treecast.gateway.ServerConfig;
import io.treecast.gateway.TreecastServer;
import reactor.core.publisher.Flux;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A quick, manual throughput probe (not a test, not the load generator): one in-process server, one client
 * ingesting single-leaf batches as fast as acks allow, one firehose subscriber counting delivered changes.
 * Run: see client/README.md. Prints ingest rate and delivered count; it checks nothing was lost.
 */
public final class ThroughputProbe {
    public static void main(String[] args) throws Exception {
        int batches = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        String transport = args.length > 1 ? args[1] : "tcp";
        try (TreecastServer server = TreecastServer.start(ServerConfig.builder().set("tcp.port", "0").set("websocket.port", "0")
                .set("engine.default-outbox-capacity", "65536").build(), null)) {
            String uri = transport.equals("ws") ? server.webSocketUri() : server.tcpUri();
            try (TreecastClient pub = TreecastClient.connect(uri); TreecastClient sub = TreecastClient.connect(uri)) {
                AtomicLong delivered = new AtomicLong();
                ClientSubscription s = sub.subscribe(SubscribeSpec.pattern("probe/**").policy(Policy.STRICT),
                        e -> delivered.addAndGet(e.changes().size()), e -> System.err.println("subscription ended: " + e));
                sub.get("probe/**"); // the subscription is registered before the first batch on the same server
                for (int round = 0; round < 2; round++) {
                    long start = System.nanoTime();
                    long before = delivered.get();
                    long acks = pub.reactive().ingest(Flux.range(0, batches)
                                    .map(i -> ChangeBatch.create().set("probe/k" + (i & 1023), (long) i)))
                            .filter(a -> !a.isError()).count().block();
                    double secs = (System.nanoTime() - start) / 1e9;
                    long deadline = System.nanoTime() + 30_000_000_000L;
                    while (delivered.get() - before < acks && System.nanoTime() < deadline) {
                        Thread.onSpinWait();
                    }
                    double all = (System.nanoTime() - start) / 1e9;
                    System.out.printf("%s round %d: %d batches acked in %.2f s = %.0f batches/s; delivered %d of %d to the firehose in %.2f s%n",
                            transport, round, acks, secs, acks / secs, delivered.get() - before, acks, all);
                }
                s.cancel();
            }
        }
    }
}
