package io.treecast.cli;

import io.treecast.bench.load.LoadGenerator;
import io.treecast.bench.load.LoadOptions;
import io.treecast.bench.load.RunResult;
import io.treecast.bench.load.ServerProcess;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code treecast bench}: the end-to-end load generator ({@link LoadGenerator}). Without {@code --url} it starts
 * {@code treecast serve --in-memory} in a child JVM on free ports and stops it at the end. Progress lines go to
 * stderr, results to stdout (text, or one JSON object per run with {@code --json}).
 */
@Command(name = "bench", mixinStandardHelpOptions = true, versionProvider = TreecastCli.Version.class,
        description = "Load a server at a paced rate and report end-to-end latency (from the intended send time) and losses.")
public final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--url", description = "A running server (default: an embedded one in a child JVM).")
    String url;
    @Option(names = "--server-set", paramLabel = "KEY=VALUE", description = "A configuration key of the embedded server, "
            + "as serve --set (repeatable), e.g. --server-set engine.dispatcher-threads=0.")
    List<String> serverSets = new ArrayList<>();

    @Option(names = "--server-pid", paramLabel = "PID", description = "With --url: the server process whose CPU per update is reported "
            + "(default: the local process listening on the URL's port, when one is visible).")
    Long serverPid;

    @Option(names = "--metrics-url", paramLabel = "URL", description = "With --url: the server's metrics endpoint, e.g. "
            + "http://127.0.0.1:9464; the run then reports the publishes the server refused (they have no answer, so a "
            + "refusal shows up in 'lost' alone). The embedded server's is found by itself.")
    String metricsUrl;

    @Option(names = "--embedded", description = "Start a server in a child JVM (the default when no --url is given).")
    boolean embedded;
    @Option(names = "--server-java-opts", paramLabel = "OPTS", defaultValue = "-XX:+ExitOnOutOfMemoryError -Xms256m -Xmx2g -XX:+UseZGC -Dio.netty.leakDetection.level=disabled",
            description = "JVM options of the embedded server (default: ${DEFAULT-VALUE}).")
    String serverJavaOpts;
    @Option(names = "--durability", split = ",", paramLabel = "off|embedded", defaultValue = "off",
            description = "Embedded server's durability, one run each: off (--in-memory), embedded (journal to a Kafka broker "
                    + "in its own child JVM, data in a temp dir), or off,embedded for both side by side (default: ${DEFAULT-VALUE}).")
    List<String> durabilities;

    @Option(names = "--ca-file", paramLabel = "PEM", description = "With --url tls://... or wss://...: the CA certificates to trust "
            + "(the embedded server gets a throw-away CA of its own).")
    String caFile;
    @Option(names = "--transport", split = ",", paramLabel = "tcp|ws|tls|wss", defaultValue = "tcp",
            description = "tcp, ws, tls, wss, or several side by side in one run, e.g. tcp,tls (default: ${DEFAULT-VALUE}). tls and wss give the embedded server a throw-away certificate.")
    List<String> transports;
    @Option(names = "--floor", description = "Also run the same workload through an in-process queue (the floor) and report it beside.")
    boolean floor;
    @Option(names = "--floor-only", description = "Run only the floor.")
    boolean floorOnly;
    @Option(names = "--rate", defaultValue = "50000", description = "Offered updates per second (default: ${DEFAULT-VALUE}).")
    long rate;
    @Option(names = "--duration", defaultValue = "30", description = "Measured seconds per run (default: ${DEFAULT-VALUE}).")
    int duration;
    @Option(names = "--warmup", defaultValue = "5", description = "Warm-up seconds per run, not recorded (default: ${DEFAULT-VALUE}).")
    int warmup;
    @Option(names = "--publishers", defaultValue = "1", description = "Publisher connections/threads (default: ${DEFAULT-VALUE}).")
    int publishers;

    @Option(names = "--batch", defaultValue = "1", paramLabel = "N",
            description = "Leaf updates per published batch (default: ${DEFAULT-VALUE}); the rate still counts leaf updates.")
    int batch;
    @Option(names = "--subscribers", defaultValue = "20", description = "Subscribers of the default pattern mix (default: ${DEFAULT-VALUE}).")
    int subscribers;
    @Option(names = "--pattern", paramLabel = "PATTERN", description = "Explicit subscriber patterns (repeatable; replaces the default mix).")
    List<String> patterns = new ArrayList<>();
    @Option(names = "--leaves", defaultValue = "100000", description = "Leaves in the tree (default: ${DEFAULT-VALUE}).")
    int leaves;
    @Option(names = "--find-max", description = "Raise the rate step by step until p99 > --p99-limit or anything is lost.")
    boolean findMax;
    @Option(names = "--p99-limit", defaultValue = "1", paramLabel = "MS", description = "find-max threshold in ms (default: ${DEFAULT-VALUE}).")
    double p99LimitMs;
    @Option(names = "--step-factor", defaultValue = "1.5", description = "find-max rate multiplier per step (default: ${DEFAULT-VALUE}).")
    double stepFactor;
    @Option(names = "--max-steps", defaultValue = "12", description = "find-max steps at most (default: ${DEFAULT-VALUE}).")
    int maxSteps;
    @Option(names = "--edges", defaultValue = "0", paramLabel = "N",
            description = "Also start N edge nodes (serve --upstream) of the embedded server in child JVMs; subscribers are "
                    + "spread over the server and the edges, publishers stay on the server, and the run reports CPU per "
                    + "delivered event for the server and the edges side by side (default: ${DEFAULT-VALUE}).")
    int edges;

    @Option(names = "--read-ahead-frames", defaultValue = "0", paramLabel = "N",
            description = "Frames each subscriber asks the server for ahead (the client's readAheadFrames; default: 0 = the "
                    + "client library's default, " + io.treecast.client.ClientOptions.DEFAULT_READ_AHEAD_FRAMES + ").")
    int readAheadFrames;

    @Option(names = "--publish-linger-us", paramLabel = "N", description = "The publisher's client writes a burst of publishes "
            + "N microseconds after its first one, in one send (-Dtreecast.client.publish-linger-us; 0..10000; default: the "
            + "client library's, 0 = at once). For an A/B of CPU per update.")
    Integer publishLingerMicros;

    @Option(names = "--pacing-tick-us", defaultValue = "0", paramLabel = "N",
            description = "Each publisher thread wakes at most every N microseconds and then sends every update that came "
                    + "due, back to back (latency still counts from each update's intended time); 0..100000, default 0 = "
                    + "wake for every update. For an A/B of what the pacing itself costs.")
    int pacingTickMicros;

    @Option(names = "--outbox-capacity", defaultValue = "0", paramLabel = "N",
            description = "Outbox each STRICT subscriber asks the server for, in events (1..the server's "
                    + "engine.max-outbox-capacity); default 0 = none asked: the server's default, bounded by bytes "
                    + "(engine.outbox-max-bytes). For an A/B with a fixed count.")
    int outboxCapacity;

    @Option(names = "--json", description = "Results as one JSON object per line.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (publishLingerMicros != null) {
            if (publishLingerMicros < 0 || publishLingerMicros > io.treecast.client.ClientOptions.MAX_PUBLISH_LINGER_MICROS) {
                throw new IllegalArgumentException("--publish-linger-us must be 0.." + io.treecast.client.ClientOptions.MAX_PUBLISH_LINGER_MICROS
                        + " (microseconds); got " + publishLingerMicros);
            }
            // read by each client connection of this JVM when it connects: the load generator's own
            System.setProperty(io.treecast.client.ClientOptions.PUBLISH_LINGER_PROPERTY, publishLingerMicros.toString());
        }
        if (outboxCapacity < 0) {
            throw new IllegalArgumentException("--outbox-capacity must be 0 (the server's default) or a number of events >= 1; got "
                    + outboxCapacity);
        }
        LoadOptions base = new LoadOptions().rate(rate).durationSeconds(duration).warmupSeconds(warmup)
                .publishers(publishers).batch(batch).subscribers(subscribers).patterns(patterns).leaves(leaves)
                .readAheadFrames(readAheadFrames).pacingTickMicros(pacingTickMicros)
                .outboxCapacity(outboxCapacity);
        List<RunResult> all = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        boolean ok = true;
        if (!floorOnly) {
          for (String durability : url == null ? durabilities : List.of("off")) {
            if (!durability.equals("off") && !durability.equals("embedded")) {
                throw new IllegalArgumentException("--durability must be off, embedded or off,embedded; got " + durability);
            }
            String label = durabilities.size() > 1 ? "[journal " + (durability.equals("off") ? "off] " : "on]  ") : "";
            for (String t : transports) {
                if (!t.equals("tcp") && !t.equals("ws") && !t.equals("tls") && !t.equals("wss")) {
                    throw new IllegalArgumentException("--transport must be tcp, ws, tls or wss, or several joined by ',' (e.g. tcp,tls); got " + t);
                }
                boolean secure = t.equals("tls") || t.equals("wss");
                java.nio.file.Path trust = caFile == null ? null : java.nio.file.Path.of(caFile);
                ServerProcess server = null;
                List<ServerProcess> edgeProcesses = new ArrayList<>();
                java.nio.file.Path dataDir = null;
                java.nio.file.Path certDir = null;
                try {
                    String target = url;
                    if (target == null) {
                        // metrics.port=0: never collide with a server the user runs on the default 9464
                        List<String> serve = new ArrayList<>(List.of("serve", "--host", "127.0.0.1", "--tcp-port", "0", "--ws-port", "0",
                                "--set", "metrics.port=0"));
                        for (String kv : serverSets) {
                            serve.addAll(List.of("--set", kv));
                        }
                        if (durability.equals("off")) {
                            serve.add("--in-memory");
                        } else {
                            dataDir = java.nio.file.Files.createTempDirectory("treecast-bench-data");
                            serve.addAll(List.of("--set", "durability.data-dir=" + dataDir));
                        }
                        if (secure) {
                            // a throw-away CA and server certificate, so TLS is measured exactly as clients would use it
                            certDir = java.nio.file.Files.createTempDirectory("treecast-bench-tls");
                            io.treecast.client.SelfSignedCertificates.Issued ca =
                                    io.treecast.client.SelfSignedCertificates.authority("treecast bench CA");
                            trust = ca.write(certDir, "ca");
                            ca.issue("localhost", true).write(certDir, "server");
                            serve.addAll(List.of("--set", "tls.enabled=true", "--set", "tls.cert-file=" + certDir.resolve("server.pem"),
                                    "--set", "tls.key-file=" + certDir.resolve("server.key")));
                        }
                        server = ServerProcess.start(Arrays.asList(serverJavaOpts.trim().split("\\s+")), TreecastCli.class.getName(), serve);
                        target = t.startsWith("ws") ? server.wsUrl() : server.tcpUrl();
                        err.println("embedded server pid " + server.pid() + " at " + target);
                    } else if (!url.startsWith(t + "://")) {
                        throw new IllegalArgumentException("--transport " + t + " does not match --url " + url);
                    }
                    long pid = server != null ? server.pid() : serverPid != null ? serverPid : localListener(target);
                    if (pid == 0) {
                        err.println("note: no local process found listening at " + target + ": the server's CPU is not reported (give --server-pid)");
                    }
                    LoadOptions run = base.copy().url(target).transport(t).serverPid(pid).caFile(trust)
                            .metricsUrl(server != null ? server.metricsUrl() : metricsUrl);
                    if (edges > 0) {
                        if (server == null) {
                            throw new IllegalArgumentException("--edges starts edges of the embedded server: leave out --url");
                        }
                        List<String> urls = new ArrayList<>();
                        List<Long> pids = new ArrayList<>();
                        for (int e = 0; e < edges; e++) {
                            List<String> serve = new ArrayList<>(List.of("serve", "--host", "127.0.0.1", "--tcp-port", "0",
                                    "--ws-port", "0", "--set", "metrics.port=0", "--upstream", server.tcpUrl()));
                            ServerProcess edge = ServerProcess.start(Arrays.asList(serverJavaOpts.trim().split("\\s+")),
                                    TreecastCli.class.getName(), serve);
                            edgeProcesses.add(edge);
                            urls.add(t.equals("ws") ? edge.wsUrl() : edge.tcpUrl());
                            pids.add(edge.pid());
                            err.println("edge " + (e + 1) + " pid " + edge.pid() + " at " + urls.get(e) + ", following " + server.tcpUrl());
                        }
                        run.edgeUrls(urls).edgePids(pids);
                    }
                    ok &= runOne(run, all, labels, label, out, err);
                } finally {
                    for (ServerProcess edge : edgeProcesses) {
                        edge.close();
                    }
                    if (server != null) {
                        server.close();
                    }
                    if (certDir != null) {
                        try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.walk(certDir)) {
                            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                        }
                    }
                    if (dataDir != null) {
                        try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.walk(dataDir)) {
                            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                        }
                    }
                }
            }
          }
        }
        if (floor || floorOnly) {
            ok &= runOne(base.copy().floor(true).url(null), all, labels, "", out, err);
        }
        if (!json && all.size() > 1) {
            out.println("summary:");
            for (int i = 0; i < all.size(); i++) {
                out.println("  " + labels.get(i) + all.get(i).toText());
            }
        }
        out.flush();
        return ok ? ExitCodes.OK : ExitCodes.BENCH_FAILED;
    }

    /** The pid of the local process listening on {@code url}'s port when the URL is on this machine, else 0. */
    private static long localListener(String url) {
        java.net.URI u = java.net.URI.create(url);
        String host = u.getHost();
        if (host == null || u.getPort() <= 0 || !(host.equals("127.0.0.1") || host.equals("localhost") || host.equals("::1"))) {
            return 0;
        }
        return io.treecast.bench.load.ProcessCpu.pidListeningOn(u.getPort());
    }

    private boolean runOne(LoadOptions o, List<RunResult> all, List<String> labels, String label, PrintWriter out, PrintWriter err) {
        if (!findMax) {
            RunResult r = new LoadGenerator(o, line -> { err.println(line); err.flush(); }).run();
            all.add(r);
            labels.add(label);
            out.println(json ? r.toJson() : label + r.toText());
            out.flush();
            return r.clean();
        }
        double limitUs = p99LimitMs * 1000;
        List<RunResult> steps = LoadGenerator.findMax(o, limitUs, stepFactor, maxSteps, line -> { err.println(line); err.flush(); });
        RunResult best = LoadGenerator.highestPassing(steps, limitUs);
        String mode = o.floor() ? "floor" : o.transport();
        if (json) {
            steps.forEach(s -> out.println(s.toJson()));
            out.println("{\"findMax\":\"" + mode + "\",\"p99LimitUs\":" + limitUs + ",\"highestPassingRate\":"
                    + (best == null ? "null" : best.rate()) + "}");
        } else {
            steps.forEach(s -> out.println(s.toText()));
            out.println("find-max " + mode + ": highest passing rate "
                    + (best == null ? "none (the first step already failed)" : String.format("%,d/s (p99 %.1fus)", best.rate(), best.p99()))
                    + " with p99 limit " + p99LimitMs + " ms");
        }
        if (best != null) {
            all.add(best);
            labels.add(label);
        }
        out.flush();
        return best != null;
    }
}
