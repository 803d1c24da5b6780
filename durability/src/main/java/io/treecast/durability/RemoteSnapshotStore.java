package io.treecast.durability;

import io.treecast.fastpath.Leaf;
import io.treecast.fastpath.PathPattern;
import io.treecast.fastpath.SnapshotStore;
import io.treecast.fastpath.TreePath;
import io.treecast.proto.Change;
import io.treecast.proto.Snapshot;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.LongAdder;

/**
 * The engine's snapshot store served by separate {@code treecast state} instances instead of a Kafka Streams
 * application in the serving JVM: it asks one of the {@code seeds} which instance owns which partition (Kafka
 * Streams' metadata, {@link StateQueryServer} {@code /owners}), asks each owner for its partitions' leaves
 * ({@code /snapshot}), and merges them. The answer is exact or there is none: every partition must be answered, each
 * owner answers only from a RUNNING store that did not move during its scan, and the result's complete seq is the
 * smallest of the owners'. When it cannot get that (an instance gone, a rebalance, a store still catching up) it
 * asks the owners again, up to {@code attempts} times, then completes exceptionally: the engine then serves the
 * resume from its own tree (RESET + snapshot), never from a partial or stale store. The engine itself refuses a
 * result whose seq does not bridge to its replay ring.
 *
 * <pre>{@code
 * SnapshotStore store = new RemoteSnapshotStore(List.of(URI.create("http://state-1:7400"), URI.create("http://state-2:7400")), 8);
 * Engine.start(EngineConfig.builder().snapshotStore(store)...);
 * }</pre>
 */
public final class RemoteSnapshotStore implements SnapshotStore, AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RemoteSnapshotStore.class);
    /** The seeds at the time of asking: fixed, or the state store child's address while it serves (empty otherwise). */
    private final java.util.function.Supplier<List<URI>> seeds;
    private final int partitions;
    private final int attempts;
    private final Duration timeout;
    private final HttpClient http;
    private final ExecutorService thread;
    private final LongAdder served = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private volatile String lastRefusal;

    /**
     * @param seeds      query endpoints of some state instances ({@code http://host:port}); the owners are learnt from them
     * @param partitions the topic's partitions: an answer must cover all of them
     */
    public RemoteSnapshotStore(List<URI> seeds, int partitions) {
        this(seeds, partitions, 3, Duration.ofSeconds(5));
    }

    public RemoteSnapshotStore(List<URI> seeds, int partitions, int attempts, Duration timeout) {
        this(fixed(seeds), partitions, attempts, timeout);
    }

    private static java.util.function.Supplier<List<URI>> fixed(List<URI> seeds) {
        if (seeds.isEmpty()) {
            throw new IllegalArgumentException("a remote snapshot store needs at least one state instance address");
        }
        List<URI> copy = List.copyOf(seeds);
        return () -> copy;
    }

    /**
     * Seeds asked for at each query: {@link Durability}'s state store child, whose address is known only while it
     * serves (an empty list meanwhile: the query is refused, and the engine serves that resume from its own tree).
     */
    RemoteSnapshotStore(java.util.function.Supplier<List<URI>> seeds, int partitions, int attempts, Duration timeout) {
        this.seeds = seeds;
        this.partitions = partitions;
        this.attempts = attempts;
        this.timeout = timeout;
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "treecast-remote-state");
            t.setDaemon(true);
            return t;
        });
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    @Override
    public CompletableFuture<Result> snapshot(PathPattern pattern) {
        return CompletableFuture.supplyAsync(() -> {
            String why = "no attempt";
            for (int attempt = 1; attempt <= attempts; attempt++) {
                try {
                    Result r = once(pattern);
                    served.increment();
                    return r;
                } catch (StateUnavailableException e) {
                    why = e.getMessage();
                }
                try {
                    Thread.sleep(100L * attempt); // a rebalance settles in a moment: ask again (this thread only)
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            refused.increment();
            lastRefusal = why;
            LOG.debug("remote state could not answer {} exactly: {}", pattern, why);
            throw new StateUnavailableException("the state instances could not answer exactly after " + attempts
                    + " attempts: " + why);
        }, thread);
    }

    /** One round: owners, then each owner's share; all partitions or a {@link StateUnavailableException}. */
    Result once(PathPattern pattern) {
        SortedMap<Integer, String> owners = owners();
        Map<String, List<Integer>> byOwner = new LinkedHashMap<>();
        for (int p = 0; p < partitions; p++) {
            String owner = owners.get(p);
            if (owner == null) {
                throw new StateUnavailableException("partition " + p + " has no owner now (an instance left or joined)");
            }
            byOwner.computeIfAbsent(owner, o -> new ArrayList<>()).add(p);
        }
        TreeSet<Integer> answered = new TreeSet<>();
        Map<TreePath, Leaf> leaves = new HashMap<>();
        long complete = Long.MAX_VALUE;
        for (String owner : byOwner.keySet()) {
            URI uri = URI.create("http://" + owner + "/snapshot?pattern=" + URLEncoder.encode(pattern.toString(), StandardCharsets.UTF_8)
                    + "&min_seq=1");
            HttpResponse<byte[]> r = get(uri);
            if (r.statusCode() != 200) {
                throw new StateUnavailableException(owner + " answered " + r.statusCode() + " "
                        + new String(r.body(), StandardCharsets.UTF_8));
            }
            for (String p : r.headers().firstValue(StateQueryServer.PARTITIONS_HEADER).orElse("").split(",")) {
                if (!p.isEmpty()) {
                    answered.add(Integer.parseInt(p));
                }
            }
            Snapshot s;
            try {
                s = Snapshot.parseFrom(r.body());
            } catch (IOException e) {
                throw new StateUnavailableException(owner + " sent an answer that is not a treecast.v1.Snapshot");
            }
            complete = Math.min(complete, s.getSeq());
            for (Change c : s.getLeavesList()) {
                TreePath path = TreePath.parse(c.getPath());
                Leaf prev = leaves.get(path);
                if (prev == null || prev.seq() < c.getSeq()) {
                    leaves.put(path, new Leaf(path, c.getSet().toByteArray(), c.getSeq()));
                }
            }
        }
        for (int p = 0; p < partitions; p++) {
            if (!answered.contains(p)) {
                throw new StateUnavailableException("partition " + p + " was not answered (owners moved): asking again");
            }
        }
        return new Result(complete, new ArrayList<>(leaves.values()));
    }

    /** Partition → {@code host:port} from the first seed that answers. */
    SortedMap<Integer, String> owners() {
        List<URI> now = seeds.get();
        if (now.isEmpty()) {
            throw new StateUnavailableException("the state store child is not serving (starting or restarting)");
        }
        String why = "";
        for (URI seed : now) {
            try {
                HttpResponse<byte[]> r = get(seed.resolve("/owners"));
                if (r.statusCode() == 200) {
                    SortedMap<Integer, String> out = new TreeMap<>();
                    for (String line : new String(r.body(), StandardCharsets.UTF_8).split("\n")) {
                        String[] f = line.trim().split(" ");
                        if (f.length == 2) {
                            out.put(Integer.parseInt(f[0]), f[1]);
                        }
                    }
                    return out;
                }
                why = seed + " answered " + r.statusCode();
            } catch (StateUnavailableException e) {
                why = e.getMessage();
            }
        }
        throw new StateUnavailableException("no state instance told its owners (" + why + ")");
    }

    private HttpResponse<byte[]> get(URI uri) {
        try {
            return http.send(HttpRequest.newBuilder(uri).timeout(timeout).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new StateUnavailableException(uri.getAuthority() + " cannot be reached (" + e.getMessage() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StateUnavailableException("interrupted while asking " + uri.getAuthority());
        }
    }

    /** Snapshots answered exactly so far. */
    public long served() {
        return served.sum();
    }

    /** Snapshots refused (the engine then used its own tree). */
    public long refused() {
        return refused.sum();
    }

    /** Why the last refusal happened, or null. */
    public String lastRefusal() {
        return lastRefusal;
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
